"""The forms of consultation (DOMAIN.md §4): reference data the app shows when planning."""

from fastapi import APIRouter, Depends

from consultation_svc.plans.form_codes import FORMS, ConsultationForm
from cppcc_common.auth import SIGNED_IN

__all__ = ["FORMS", "ConsultationForm", "router"]


router = APIRouter(prefix="/api/v1/consultations", tags=["consultations"])


@router.get(
    "/forms",
    response_model=list[ConsultationForm],
    dependencies=[Depends(SIGNED_IN)],
    summary="The forms a consultation activity can take",
)
async def list_forms() -> list[ConsultationForm]:
    return FORMS
