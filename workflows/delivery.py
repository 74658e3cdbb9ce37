"""DeliveryWorkflow (issue 17): one e-mail or one webhook call, delivered at most
``max_attempts`` times with Temporal's backoff, then settled.

Started by the step that gave it, once the step's transaction committed (storage/outbox.py);
its id, ``delivery-<uuid>``, is written with the delivery's row. Its input names the row only:
no address, no text, so nothing confidential reaches Temporal. In the Temporal UI
``DeliveryFailed = true`` lists the deliveries that gave up (POST /deliveries/{id}/retry sends
one again, as a new workflow).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliveryActivities
    from models.delivery import DeliveryInput, DeliveryResult, DeliveryStatus
    from workflows import search_attributes as sa
    from workflows.kernel import WRITE


@workflow.defn(name="DeliveryWorkflow")
class DeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliveryInput) -> DeliveryResult:
        workflow.upsert_search_attributes([sa.DELIVERY_FAILED.value_set(False)])
        terms = inp.terms
        try:
            result = await workflow.execute_activity_method(
                DeliveryActivities.deliver,
                inp,
                start_to_close_timeout=terms.attempt_timeout,
                retry_policy=RetryPolicy(
                    initial_interval=terms.first_retry,
                    backoff_coefficient=2.0,
                    maximum_interval=terms.max_retry,
                    maximum_attempts=terms.max_attempts,
                    non_retryable_error_types=["Undeliverable"],
                ),
                summary=f"{inp.channel.value} delivery",
            )
        except ActivityError as err:
            cause = err.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            result = DeliveryResult(delivery_id=inp.delivery_id, status=DeliveryStatus.failed, reason=reason)
            await workflow.execute_activity_method(DeliveryActivities.settle, result, **WRITE)
        workflow.upsert_search_attributes([sa.DELIVERY_FAILED.value_set(result.status is DeliveryStatus.failed)])
        return result
