"""Names an upstream flow that no file of its project defines: `check` warns."""
from sfncompile import FlowSpec, project, step, trigger_on_finish


@trigger_on_finish(flows=["FeatureFlow", "FeatureFlw"])
@project(name="churn")
class OrphanFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
