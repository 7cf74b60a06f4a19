"""Who may do what. Querysets are restricted as well (selectors), so a caller never even sees the
objects it may not touch: another company's records answer 404 to a write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiKey
from accounts.roles import is_officer


class ReadOnlyOrRegistryWriter(BasePermission):
    """Anyone may read. Writing needs a signed-in user, or an API key issued with write scope."""

    message = "Sign in (Authorization: Bearer <token>) or use an API key with write scope to change the registry."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if isinstance(request.auth, ApiKey) and not request.auth.can_write:
            self.message = "This API key is read-only."
            return False
        return True


class IsOfficer(BasePermission):
    message = "Only ministry officers may do this."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return False  # officers act in person, not through an app's key
        return is_officer(request.user)
