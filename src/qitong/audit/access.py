"""Who reads the audit trail: the auditor role only (等保's separation of duties).

Administrators run the system and are audited; they do not read or export the
trail, so they cannot cover their own tracks. The auditor reads every row.
"""

from qitong.audit.models import Record
from qitong.orgs.scope import Role, require_role


def visible_records(user):
    """Every row, for an auditor; ``PermissionDenied`` for anyone else."""
    require_role(user, Role.AUDITOR)
    return Record.objects.all()
