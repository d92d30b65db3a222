"""The forms of consultation (DOMAIN.md §4) as data: pure, so the domain modules read the codes."""

from pydantic import BaseModel


class ConsultationForm(BaseModel):
    code: str
    name_zh: str
    name_en: str


FORMS = [
    ConsultationForm(code="plenary", name_zh="全体会议", name_en="Plenary meeting"),
    ConsultationForm(
        code="thematic_standing", name_zh="专题议政性常委会议", name_en="Thematic standing-committee meeting"
    ),
    ConsultationForm(code="thematic", name_zh="专题协商会", name_en="Thematic consultation"),
    ConsultationForm(code="bimonthly_forum", name_zh="双月协商座谈会", name_en="Bimonthly forum"),
    ConsultationForm(code="counterpart", name_zh="对口协商", name_en="Counterpart consultation"),
    ConsultationForm(code="sector", name_zh="界别协商", name_en="Sector consultation"),
    ConsultationForm(
        code="proposal_handling", name_zh="提案办理协商", name_en="Proposal-handling consultation"
    ),
    ConsultationForm(code="written", name_zh="书面协商", name_en="Written consultation"),
    ConsultationForm(code="talk", name_zh="约谈", name_en="Talk"),
    ConsultationForm(code="online", name_zh="网络议政", name_en="Online deliberation"),
    ConsultationForm(code="remote", name_zh="远程协商", name_en="Remote consultation"),
    ConsultationForm(code="inspection", name_zh="调研视察", name_en="Research and inspection visit"),
    ConsultationForm(code="sector_activity", name_zh="界别活动", name_en="Sector activity"),
]
FORM_CODES = frozenset(f.code for f in FORMS)
