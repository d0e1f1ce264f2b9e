"""The one exception the engine raises for input it refuses, with a student-facing message."""


class ProfileError(Exception):
    """A file or a target the engine cannot profile.

    `code` is short and stable (the job row and the templates key on it);
    `message` is a sentence a student understands without a traceback;
    `details` carries what a form needs to offer a fix, e.g. for
    `unknown_target`: {"target", "suggestions", "columns"}.
    """

    def __init__(self, code: str, message: str, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        """{"code", "message", **details}: the command's --json error object and the job row's error."""
        return {"code": self.code, "message": self.message, **self.details}
