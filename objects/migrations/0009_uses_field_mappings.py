from django.db import migrations


def mark_connections(apps, schema_editor):
    # Connections whose mappings already have versions: intake must keep reading them.
    Connection = apps.get_model("connections", "Connection")
    FieldMappingVersion = apps.get_model("objects", "FieldMappingVersion")
    in_use = FieldMappingVersion.objects.values("mapping__connection_id")
    Connection.objects.filter(pk__in=in_use).update(uses_field_mappings=True)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0006_uses_field_mappings"),
        ("objects", "0008_api_operations"),
    ]

    operations = [migrations.RunPython(mark_connections, migrations.RunPython.noop)]
