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
