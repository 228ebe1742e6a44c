from typing import Any

from django.db import migrations, models


def combines_into_their_main_account(apps: Any, schema_editor: Any) -> None:
    """Open combine requests made before the field: the main account their preview named."""
    request_model = apps.get_model("approvals", "ApprovalRequest")
    waiting = request_model.objects.filter(action="cards.combine", status="open")
    for request in waiting.only("pk", "params"):
        main = (request.params or {}).get("main_account_id")
        if isinstance(main, int):
            request_model.objects.filter(pk=request.pk).update(also_account_id=main)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_request_withdrawn"),
    ]

    operations = [
        migrations.AddField(
            model_name="approvalrequest",
            name="also_account_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(combines_into_their_main_account, migrations.RunPython.noop),
    ]
