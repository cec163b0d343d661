//! Admission of signed-in people's mutations: at most a few execute at once, the rest wait
//! their turn, holding nothing.
//!
//! On a small machine the commands compete for the same cores as the projector and the
//! readers. With every HTTP request running its command at once, each of the projector's
//! round trips waits behind every runnable command backend, and the status board and work
//! queue lag by hundreds of milliseconds under load (docs/PERFORMANCE.md, round four). A
//! mutation waiting here holds no database connection and no lock, so queries, the projector
//! and subscriptions always get their turn.
//!
//! Anonymous mutations (captcha, registration, reset request, sign-in) are not admitted here:
//! they have rate limits of their own, and registration and reset requests wait on purpose
//! (`accounts::ANSWER_FLOOR`), which would hold a slot and let a stream of them stall every
//! signed-in command.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest};
use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerResult};
use tokio::sync::Semaphore;

use super::RequestContext;

/// Installs the limit on a schema (`SchemaBuilder::extension`).
pub struct MutationAdmission {
    slots: Arc<Semaphore>,
}

impl MutationAdmission {
    /// At most `concurrent` signed-in mutations execute at once (at least one).
    pub fn new(concurrent: usize) -> Self {
        Self { slots: Arc::new(Semaphore::new(concurrent.max(1))) }
    }
}

impl ExtensionFactory for MutationAdmission {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Admission { slots: self.slots.clone(), mutation: AtomicBool::new(false) })
    }
}

/// One request's admission.
struct Admission {
    slots: Arc<Semaphore>,
    mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Admission {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let mutation = request
            .parsed_query()?
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Mutation);
        self.mutation.store(mutation, Ordering::Relaxed);
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let signed_in = ctx.data_opt::<RequestContext>().is_some_and(|r| r.session.is_some());
        if !(signed_in && self.mutation.load(Ordering::Relaxed)) {
            return next.run(ctx, operation_name).await;
        }
        // The semaphore is never closed, so acquiring cannot fail; were it closed, run anyway.
        let _slot = self.slots.acquire().await.ok();
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use async_graphql::{EmptySubscription, Object, Schema};
    use commands::{Session, SubjectKind};

    use super::*;

    /// How many mutations run at once, and the most that ever did.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    struct Query;

    #[Object]
    impl Query {
        async fn ping(&self) -> bool {
            true
        }
    }

    struct Mutation;

    #[Object]
    impl Mutation {
        async fn work(&self, ctx: &async_graphql::Context<'_>) -> bool {
            let gauge = ctx.data_unchecked::<Arc<Gauge>>();
            let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
            gauge.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(30)).await;
            gauge.now.fetch_sub(1, Ordering::SeqCst);
            true
        }
    }

    fn request(query: &str, session: Option<&Session>) -> Request {
        Request::new(query).data(RequestContext {
            session: session.cloned(),
            correlation_id: uuid::Uuid::nil(),
            client_address: None,
        })
    }

    /// A real resident session, from a fresh database.
    async fn session(pool: sqlx::PgPool) -> anyhow::Result<Session> {
        let clock: commands::SharedClock = Arc::new(commands::SystemClock);
        let store = commands::SessionStore::new(pool, commands::SessionPolicy::default(), clock);
        let resident = uuid::Uuid::from_u128(7);
        let generation = store.generation(SubjectKind::Resident, resident).await?;
        Ok(store.create(SubjectKind::Resident, resident, "RESIDENT", generation).await?.1)
    }

    async fn most_at_once(session: Option<&Session>) -> (usize, Duration) {
        let gauge = Arc::new(Gauge::default());
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .data(gauge.clone())
            .extension(MutationAdmission::new(2))
            .finish();
        let mutations = (0..6).map(|_| schema.execute(request("mutation { work }", session)));
        let all = futures::future::join_all(mutations);
        let query = async {
            // While the mutations hold (and queue for) both slots, a query is answered at once.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let started = std::time::Instant::now();
            let reply = schema.execute(request("{ ping }", session)).await;
            assert!(reply.errors.is_empty(), "{reply:?}");
            started.elapsed()
        };
        let (replies, took) = tokio::join!(all, query);
        assert!(replies.iter().all(|r| r.errors.is_empty()), "{replies:?}");
        (gauge.most.load(Ordering::SeqCst), took)
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn signed_in_mutations_beyond_the_limit_wait_and_queries_never_do(pool: sqlx::PgPool) -> anyhow::Result<()> {
        let session = session(pool).await?;
        let (most, took) = most_at_once(Some(&session)).await;
        assert_eq!(most, 2, "two at once, never more");
        assert!(took < Duration::from_millis(25), "the query waited {took:?}");
        Ok(())
    }

    #[tokio::test]
    async fn anonymous_mutations_are_left_to_their_own_limits() {
        let (most, _) = most_at_once(None).await;
        assert_eq!(most, 6);
    }
}
