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
    path("", views.account, name="account"),
    path("tokens/<uuid:token_uuid>/revoke/", views.revoke, name="revoke_token"),
]
