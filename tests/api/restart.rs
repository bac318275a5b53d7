//! The embedded default keeps everything across a restart.

use crate::helpers::TestApp;

#[tokio::test]
async fn a_restart_on_surrealkv_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    let before;
    {
        let t = TestApp::with_url(&url).await;
        pilotgov::service::import::load_demo(&t.app.state.store, t.clock_now()).await.unwrap();
        let lead = t.lead("pingtan-lead", "350128").await;
        t.set_time("2022-09-19T10:00:00+08:00");
        t.file_as(&lead, "fj-2022-reform-pilot", "350128", "plan", "once").await;
        before = (
            t.get("/api/v1/programmes").await.1,
            t.board("fj-2022-reform-pilot", "as_of=2022-09-25").await,
            t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/units").await.1,
        );
    }
    // Dropping the last handle shuts the embedded datastore down on a background task; the
    // reopen waits (bounded) until that task has released the lock file.
    let t = TestApp::reopen(&url).await;
    let after = (
        t.get("/api/v1/programmes").await.1,
        t.board("fj-2022-reform-pilot", "as_of=2022-09-25").await,
        t.get("/api/v1/programmes/xixiu-2019-comprehensive-reform/units").await.1,
    );
    assert_eq!(before, after);
    assert_eq!(after.0["total"], 5);
    assert_eq!(after.1["totals"]["done"], 1);
}

/// `Store::close` (what `serve` does when stopped): the last handle gone, the engine writes its
/// memory table out and lets go of its folder before `close` returns, so the store opens again
/// at once — no waiting for a background task — with everything in it. While another handle
/// still holds it, `close` says so rather than pretending.
#[tokio::test]
async fn a_closed_store_opens_again_at_once_and_a_held_one_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}/pilotgov.db", dir.path().display());
    let (before, held) = {
        let t = TestApp::with_url(&url).await;
        pilotgov::service::import::load_demo(&t.app.state.store, t.clock_now()).await.unwrap();
        let before = t.get("/api/v1/programmes").await.1;
        let held = t.app.state.store.clone();
        let one_of_several = t.app.state.store.clone();
        assert!(!one_of_several.close(std::time::Duration::from_millis(300)).await, "other handles keep it open");
        (before, held)
    };
    assert!(held.close(std::time::Duration::from_secs(30)).await, "the last handle closes it");
    let t = TestApp::open(&url).await.expect("opens at once: the lock is released");
    assert_eq!(t.get("/api/v1/programmes").await.1, before);
    assert_eq!(before["total"], 5);
}
