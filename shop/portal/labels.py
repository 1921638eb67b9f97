"""What the portal tells a dealer about its order's way into the legacy ERP (the back
office shows the error of a failed submission; the dealer only hears that it is retried)."""

from __future__ import annotations

from ..models import LegacyState
from ..services.labels import N_

LEGACY_STATE_LABELS = {
    None: N_("Belum dikirim ke ERP"),
    LegacyState.NOT_SENT: N_("Belum dikirim ke ERP"),
    LegacyState.QUEUED: N_("Sedang dikirim ke ERP"),
    LegacyState.SUBMITTED: N_("Sudah masuk ERP"),
    LegacyState.FAILED: N_("Menunggu pengiriman ulang ke ERP"),
}
