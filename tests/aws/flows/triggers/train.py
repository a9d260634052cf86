"""Starts when FeatureFlow (same project and branch) succeeds; reads its artifacts through current.trigger.run."""
from sfncompile import FlowSpec, current, project, step, trigger_on_finish


@trigger_on_finish(flow="FeatureFlow")
@project(name="churn")
class TrainFlow(FlowSpec):
    @step
    def start(self):
        upstream = current.trigger.run
        self.upstream = upstream.pathspec
        self.total = sum(upstream.data.features)
        self.branch = current.branch_name
        self.project_flow_name = current.project_flow_name
        self.next(self.end)

    @step
    def end(self):
        self.trigger_type = current.trigger.type


if __name__ == "__main__":
    TrainFlow()
