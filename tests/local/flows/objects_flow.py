"""Artifacts that are instances of classes defined in the flow file, and `current`."""
from sfncompile import FlowSpec, current, step


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm2(self):
        return self.x * self.x + self.y * self.y


class ObjectsFlow(FlowSpec):
    @step
    def start(self):
        self.point = Point(3, 4)
        self.who = {
            "flow_name": current.flow_name,
            "run_id": current.run_id,
            "step_name": current.step_name,
            "task_id": current.task_id,
            "retry_count": current.retry_count,
            "username": current.username,
            "namespace": current.namespace,
            "is_production": current.is_production,
            "pathspec": current.pathspec,
        }
        self.next(self.end)

    @step
    def end(self):
        self.n2 = self.point.norm2()


if __name__ == "__main__":
    ObjectsFlow()
