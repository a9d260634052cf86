"""CDK constructs for sfncompile's per-stage AWS infrastructure (see infra/README.md)."""
from .settings import Settings, SettingsError, settings_from_context
from .stack import SfnCompileStack

__all__ = ["SfnCompileStack", "Settings", "SettingsError", "settings_from_context"]
