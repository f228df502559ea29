"""Errors the services raise; the API maps each to its 4xx status (processes/api/errors.py)."""


class ServiceError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message, *, field=None, element_id=None, problems=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.element_id = element_id
        self.problems = problems or []

    def as_dict(self):
        body = {"detail": self.message, "code": self.code}
        if self.field:
            body["field"] = self.field
        if self.element_id:
            body["element_id"] = self.element_id
        if self.problems:
            body["problems"] = self.problems
        return body


class InvalidInput(ServiceError):
    pass


class NotAllowed(ServiceError):
    status_code = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"
