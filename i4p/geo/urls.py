"""Geography page URLs."""

app_name = "geo"
urlpatterns: list[object] = []
