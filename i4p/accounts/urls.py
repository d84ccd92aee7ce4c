"""Account URLs."""

from django.contrib.auth import views as auth_views
from django.urls import path

from i4p.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/key/options/", views.key_login_options, name="key_login_options"),
    path("two-factor/key/verify/", views.key_login, name="key_login"),
    path(
        "two-factor/key/register/options/",
        views.key_register_options,
        name="key_register_options",
    ),
    path("two-factor/key/register/", views.key_register, name="key_register"),
    path("", views.account, name="account"),
    path("tokens/<uuid:token_uuid>/revoke/", views.revoke, name="revoke_token"),
    path("keys/<uuid:key_uuid>/remove/", views.remove_key, name="remove_key"),
]
