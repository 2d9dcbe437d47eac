from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .roles import check_role_map


@checks.register(checks.Tags.security)
def check_sso_settings(app_configs, **kwargs):
    """A wrong OIDC_ROLE_MAP is reported when the app starts, not at someone's sign-in."""
    try:
        check_role_map(settings.TRACKER_OIDC_ROLE_MAP)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="tracker.E201")]
    return []
