from django.urls import path

from portal.approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.approval_queue, name="queue"),
    path("<int:request_id>/", views.approval_detail, name="detail"),
    path("<int:request_id>/decide/", views.approval_decide_submit, name="decide"),
    path("<int:request_id>/withdraw/", views.approval_withdraw_submit, name="withdraw"),
]
