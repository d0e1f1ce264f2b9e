"""The one exception the engine raises for input it refuses, with a student-facing message."""


class ProfileError(Exception):
    """A file or a target the engine cannot profile.

    `code` is short and stable (the job row and the templates key on it);
    `message` is a sentence a student understands without a traceback.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message
