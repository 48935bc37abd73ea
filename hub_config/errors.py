"""The one error of the hub's configuration."""


class SettingsError(ValueError):
    """A setting in the environment is invalid; the message names the variable."""
