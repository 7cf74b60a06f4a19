"""Domain errors every app shares; the API maps them to HTTP statuses."""


class VersionConflict(Exception):
    """The record changed since the caller read it (its version is not the one the caller expected)."""

    def __init__(self, current_version: int):
        super().__init__(f"The record has changed since it was read (current version {current_version}).")
        self.current_version = current_version
