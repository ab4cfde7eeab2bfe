use std::sync::Arc;

async fn yield_now() {}

#[perftrack::measure]
async fn holds_an_arc_across_an_await() -> usize {
    let shared = Arc::new(5);
    yield_now().await;
    *shared
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_an_arc_across_an_await());
}
