"""One step on AWS Batch (@batch), the others on the laptop."""
import os
import socket

from sfncompile import FlowSpec, batch, step


class MixedFlow(FlowSpec):
    @step
    def start(self):
        self.base = 20
        self.where_start = os.environ.get("AWS_BATCH_JOB_ID")
        self.next(self.train)

    @batch(cpu=2, memory=4096)
    @step
    def train(self):
        self.where_train = os.environ.get("AWS_BATCH_JOB_ID")
        self.model = self.base + 1
        print("training on", "batch" if self.where_train else socket.gethostname())
        self.next(self.end)

    @step
    def end(self):
        self.where_end = os.environ.get("AWS_BATCH_JOB_ID")
        self.result = self.model * 2
