import os

from sfncompile import FlowSpec, environment, step


class EnvironmentFlow(FlowSpec):
    @step
    def start(self):
        self.before = os.environ.get("SFN_TEST_ENV_VAR")
        self.next(self.with_env)

    @environment(vars={"SFN_TEST_ENV_VAR": "hello", "SFN_OTHER": "x"})
    @step
    def with_env(self):
        self.inside = os.environ.get("SFN_TEST_ENV_VAR")
        self.other = os.environ.get("SFN_OTHER")
        self.next(self.end)

    @step
    def end(self):
        self.after = os.environ.get("SFN_TEST_ENV_VAR")


if __name__ == "__main__":
    EnvironmentFlow()
