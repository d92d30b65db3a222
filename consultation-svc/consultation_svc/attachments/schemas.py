from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ConsultationAttachmentRead(BaseModel):
    id: UUID
    owner_type: str
    owner_id: UUID
    purpose: str
    file_name: str = Field(description="上传时的文件名（仅显示用）")
    content_type: str
    size: int = Field(description="字节数")
    sha256: str = Field(description="内容的 SHA-256（十六进制）；下载时亦见 Repr-Digest 与 ETag")
    uploaded_by: UUID
    uploaded_at: datetime

    model_config = ConfigDict(from_attributes=True)
