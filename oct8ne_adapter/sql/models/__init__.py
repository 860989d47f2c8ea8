"""The default SQL schema, one module per concern; every model is importable from here.

Importing this package declares every table on `Base.metadata`, which Alembic compares against.
Each module's `__all__` lists its models, so a model added there is exported here as well.
"""

from oct8ne_adapter.sql.models import (
    base,
    catalog,
    changes,
    customers,
    events,
    orders,
    platform,
    reports,
    security,
)
from oct8ne_adapter.sql.models.base import *  # noqa: F403
from oct8ne_adapter.sql.models.catalog import *  # noqa: F403
from oct8ne_adapter.sql.models.changes import *  # noqa: F403
from oct8ne_adapter.sql.models.customers import *  # noqa: F403
from oct8ne_adapter.sql.models.events import *  # noqa: F403
from oct8ne_adapter.sql.models.orders import *  # noqa: F403
from oct8ne_adapter.sql.models.platform import *  # noqa: F403
from oct8ne_adapter.sql.models.reports import *  # noqa: F403
from oct8ne_adapter.sql.models.security import *  # noqa: F403

__all__ = []
__all__ += base.__all__
__all__ += catalog.__all__
__all__ += changes.__all__
__all__ += customers.__all__
__all__ += events.__all__
__all__ += orders.__all__
__all__ += platform.__all__
__all__ += reports.__all__
__all__ += security.__all__
