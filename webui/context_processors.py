"""What every page's header shows: the official, their current unit and their roles there, their other units."""
from . import labels
from .auth import current_unit, roles_in, units_for, unsent_form_for


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/admin/", "/api/")):
        return {}
    unit = current_unit(request)
    roles = roles_in(request, unit)
    return {
        "current_unit": unit,
        "my_units": units_for(request),
        "my_roles": [labels.role(r) for r in roles],
        "unsent_form": unsent_form_for(request),
    }
