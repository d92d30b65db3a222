"""The speeches context's errors (Chinese and English), codes `speech.<what>`."""

from cppcc_common.errors import AppError, Forbidden, InvalidTransition, NotFound, PreconditionFailed
from cppcc_common.text import Text


class SpeechNotFound(NotFound):
    code = "speech.not_found"
    detail = Text("发言不存在或无权查看。", "The speech does not exist or is not visible to you.")


class SpeechInvalidTransition(InvalidTransition):
    code = "speech.invalid_transition"


class SpeechVersionMismatch(PreconditionFailed):
    code = "speech.version_mismatch"


class NotTheSpeaker(Forbidden):
    code = "speech.not_the_speaker"
    detail = Text("只有发言人本人可以修改或撤回发言。", "Only the speaker changes or withdraws a speech.")


class AlreadyRegistered(AppError):
    status = 409
    code = "speech.already_registered"
    title = Text("已登记发言", "Already registered")
    detail = Text(
        "您已在本次活动登记了{mode}发言；可修改或撤回后重新登记。",
        "You already registered a {mode} speech at this activity; edit it or withdraw it first.",
    )


class WrittenSpeechEmpty(AppError):
    status = 422
    code = "speech.written_empty"
    title = Text("书面发言没有内容", "The written speech has no content")
    detail = Text(
        "书面发言须有正文或附件才能采用。", "A written speech needs its text or a file before it is accepted."
    )
