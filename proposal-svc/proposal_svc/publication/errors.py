"""The publication context's errors (Chinese and English), codes `publication.<what>`."""

from cppcc_common.errors import AppError, Forbidden, NotFound
from cppcc_common.text import Text


class PublishedNotFound(NotFound):
    """Rule 28: the public sees only what is published; anything else (unpublished, withdrawn,
    another organization's, no such id) is the same 404."""

    code = "publication.not_found"
    detail = Text("该提案未公开或不存在。", "The proposal is not published or does not exist.")


class NotAProposer(Forbidden):
    """Rule 20: consent is each proposer's own (the first proposer, confirmed co-signers)."""

    code = "publication.not_a_proposer"
    detail = Text(
        "只有提案人（领衔提案人和已确认的联名提案人）可以同意或拒绝公开。",
        "Only the proposers (the first proposer and confirmed co-signers) consent to publication.",
    )


class ConsentMissing(AppError):
    """Rule 20: a reply is public only with the consent of every proposer who counts."""

    status = 409
    code = "publication.consent_missing"
    title = Text("提案人未同意公开", "The proposers have not consented to publication")
    detail = Text(
        "须经全部提案人同意方可公开，尚未同意或已拒绝的有 {missing} 人。",
        "Publication needs the consent of every proposer; {missing} have not consented or refused.",
    )


class PublicationWindowClosed(AppError):
    """Rule 20: publication within the policy's working days of the reply (Asia/Shanghai)."""

    status = 409
    code = "publication.window_closed"
    title = Text("公开期限已过", "The publication window has closed")
    detail = Text(
        "答复后{days}个工作日内方可公开，公开截止日为{due_on}。",
        "A reply is published within {days} working days; the last day was {due_on}.",
    )


class AlreadyPublished(AppError):
    """Rule 20: a proposal is published once; consent no longer changes after that."""

    status = 409
    code = "publication.already_published"
    title = Text("该提案已公开", "The proposal is already published")
    detail = Text(
        "提案只能公开一次，公开后不再变更公开同意。", "A proposal is published once; consent is then final."
    )


class NotPublished(AppError):
    status = 409
    code = "publication.not_published"
    title = Text("该提案未公开", "The proposal is not published")
    detail = Text(
        "只有已公开的提案可以撤回公开。", "Only a published proposal can be withdrawn from publication."
    )
