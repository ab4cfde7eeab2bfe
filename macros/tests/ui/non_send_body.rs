use std::rc::Rc;

async fn yield_now() {}

#[perftrack::measure]
async fn holds_an_rc_across_an_await() -> usize {
    let shared = Rc::new(5);
    yield_now().await;
    *shared
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_an_rc_across_an_await());
}
