"""The admin: behind the site's own sign-in (and so its second factor), and able to reset a
user's second factor."""

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.template.response import TemplateResponse

from .. import access
from . import services

# No separate admin sign-in form that would skip the second factor: /admin/login/ sends
# anonymous visitors to /accounts/login/ and refuses signed-in users without staff status.
admin.site.login = secure_admin_login(admin.site.login)
RECOVERY_CODES = Authenticator.Type.RECOVERY_CODES
# Second factors are removed through the audited reset below, never row by row.
admin.site.unregister(Authenticator)
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "second_factors"]
    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_factors=Count(
                    "authenticator",
                    filter=~Q(authenticator__type=Authenticator.Type.RECOVERY_CODES),
                )
            )
        )

    @admin.display(description="second factors", ordering="n_factors")
    def second_factors(self, user):
        return user.n_factors

    def has_reset_second_factor_permission(self, request):
        return access.can_reset_second_factor(request.user)

    @admin.action(
        description="Reset the second factor of the selected users",
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/reset_second_factor.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Reset the second factor?",
                    "users": queryset,
                    "action": "reset_second_factor",
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for user in queryset:
            services.reset_second_factor(user=user, request=request)
        self.message_user(
            request,
            f"Reset the second factor of {len(queryset)} user(s); they enrol again at their "
            "next sign-in.",
            messages.SUCCESS,
        )
        return None
