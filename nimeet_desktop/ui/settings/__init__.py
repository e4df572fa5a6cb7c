"""The settings window (issue 12): one window, one module per page; ``window.SettingsWindow`` puts them together."""
