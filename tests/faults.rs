//! Faults: the database stops in the middle of a morning's test answers. While it is down the
//! portal answers at once with a Japanese 503 page and `/readyz` says so; when it is back the
//! portal goes on without a restart, and every answer it acknowledged is stored.
//!
//! This test runs its own PostgreSQL cluster (in a test binary of its own), since it stops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kenshu_core::person::Role;
use kenshu_db::embedded::EmbeddedCluster;
use kenshu_tests::{Browser, repo_root, user};
use uuid::Uuid;

/// One request of the load: when it started, how long it took, what it answered.
#[derive(Debug, Clone)]
struct Sample {
    started: Instant,
    took: Duration,
    status: u16,
    body: String,
    /// The attempt whose answer was acknowledged (303).
    acknowledged: Option<Uuid>,
}

/// A staff member answering chapter-test questions as fast as the portal lets them.
async fn answer_until(
    base: String,
    login: String,
    stop: Arc<AtomicBool>,
    signed_in: Arc<std::sync::atomic::AtomicUsize>,
) -> Vec<Sample> {
    let mut b = Browser::new(&base);
    // Everyone signs in at once before the fault: on a loaded machine the queue of password
    // checks can be full, and the portal then answers 503 with Retry-After, as a person would
    // retry. This test is about the database going away, not about sign-in capacity.
    let mut status = 0;
    for _ in 0..20 {
        status = b
            .sign_in(&login, kenshu_tests::PASSWORD)
            .await
            .status
            .as_u16();
        if status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 303, "{login} signs in");
    signed_in.fetch_add(1, Ordering::AcqRel);
    b.get("/courses/clerk/test").await;
    let mut samples = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let attempt = Uuid::new_v4();
        let a = attempt.to_string();
        let started = Instant::now();
        let start = b
            .post("/courses/clerk/test/start", &[("attempt", &a)])
            .await;
        let mut sample = Sample {
            started,
            took: started.elapsed(),
            status: start.status.as_u16(),
            body: start.body,
            acknowledged: None,
        };
        if start.status == 303 {
            let started = Instant::now();
            let answer = b
                .post(
                    "/courses/clerk/test/answer",
                    &[("attempt", &a), ("question", "1"), ("answer", "x")],
                )
                .await;
            sample = Sample {
                started,
                took: started.elapsed(),
                status: answer.status.as_u16(),
                body: answer.body,
                acknowledged: (answer.status == 303).then_some(attempt),
            };
        }
        let failed = sample.status != 303;
        samples.push(sample);
        if failed {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_pages_answer_503_at_once_and_the_portal_recovers_by_itself() {
    let dir = std::env::temp_dir().join(format!("kenshu-fault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // PostgreSQL follows the thread that started it (parent-death signal): start it on this
    // runtime's worker thread, which lives as long as the test.
    let mut cluster =
        tokio::task::block_in_place(|| EmbeddedCluster::start(&dir)).expect("start PostgreSQL");
    let admin = kenshu_db::connect(cluster.connect_options("postgres"), 1)
        .await
        .unwrap();
    sqlx::query("create database kenshu_fault")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let options = cluster.connect_options("kenshu_fault");
    let pool = kenshu_db::connect(options.clone(), 8).await.unwrap();
    kenshu_db::migrate(&pool).await.unwrap();
    kenshu_db::content::load_dir(&pool, &repo_root().join("content"))
        .await
        .unwrap();
    let logins: Vec<String> = (1..=6).map(|i| format!("staff{i}")).collect();
    for l in &logins {
        user(&pool, l, Role::Staff).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = kenshu_web::AppState::new(pool.clone(), kenshu_web::Settings::default());
    tokio::spawn(kenshu_web::serve(listener, state, std::future::pending()));

    let stop = Arc::new(AtomicBool::new(false));
    let signed_in = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load: Vec<_> = logins
        .iter()
        .map(|l| {
            tokio::spawn(answer_until(
                base.clone(),
                l.clone(),
                stop.clone(),
                signed_in.clone(),
            ))
        })
        .collect();
    let ready = |base: String| async move {
        kenshu_tests::http::browser_like()
            .build()
            .unwrap()
            .get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };

    // Everyone is signed in before the fault (a loaded machine checks passwords slowly): the
    // fault is the database going away, not sign-in.
    let waiting = Instant::now();
    while signed_in.load(Ordering::Acquire) < logins.len()
        && waiting.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopped = Instant::now();
    tokio::task::block_in_place(|| cluster.stop());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(ready(base.clone()).await, 503, "/readyz while down");
    let restarting = Instant::now();
    cluster =
        tokio::task::block_in_place(|| EmbeddedCluster::start(&dir)).expect("restart PostgreSQL");
    let mut back = None;
    for _ in 0..100 {
        if ready(base.clone()).await == 200 {
            back = Some(Instant::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back = back.expect("/readyz says ready again within 10 s of the restart");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Release);
    let mut samples = Vec::new();
    for l in load {
        samples.extend(l.await.unwrap());
    }

    // Before the stop: every answer acknowledged.
    let before: Vec<_> = samples
        .iter()
        .filter(|s| s.started + s.took < stopped)
        .collect();
    assert!(!before.is_empty());
    assert!(before.iter().all(|s| s.status == 303), "{before:?}");
    // While down (after the probe's first second): 503 with the Japanese page, within a second.
    let down: Vec<_> = samples
        .iter()
        .filter(|s| s.started > stopped + Duration::from_millis(1500) && s.started < restarting)
        .collect();
    assert!(
        down.len() >= 6,
        "requests were made while down: {}",
        down.len()
    );
    for s in &down {
        assert_eq!(s.status, 503, "{s:?}");
        assert!(s.took < Duration::from_secs(1), "{:?}", s.took);
        assert!(
            s.body.contains("一時的にご利用いただけません"),
            "{}",
            s.body
        );
    }
    // Back: within two seconds of ready, everything works again, without a restart.
    let after: Vec<_> = samples
        .iter()
        .filter(|s| s.started > back + Duration::from_secs(2))
        .collect();
    assert!(!after.is_empty());
    assert!(after.iter().all(|s| s.status == 303), "{after:?}");
    // Every acknowledged answer is stored; nothing that failed was acknowledged.
    let acknowledged: Vec<Uuid> = samples.iter().filter_map(|s| s.acknowledged).collect();
    let fresh = kenshu_db::connect(cluster.connect_options("kenshu_fault"), 1)
        .await
        .unwrap();
    let stored: Vec<Uuid> = sqlx::query_scalar(
        "select attempt_id from test_answers where attempt_id = any($1) and question_number = 1",
    )
    .bind(&acknowledged)
    .fetch_all(&fresh)
    .await
    .unwrap();
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "every answer the portal acknowledged is stored"
    );
    assert!(
        samples.iter().all(|s| s.status == 303 || s.status == 503),
        "only 303 or 503"
    );
    fresh.close().await;
    pool.close().await;
    tokio::task::block_in_place(|| cluster.stop());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TCP relay to the test database that can stop relaying, as a network partition does: the
/// database then neither answers nor refuses.
struct Partition {
    addr: std::net::SocketAddr,
    paused: tokio::sync::watch::Sender<bool>,
}

impl Partition {
    async fn start(upstream: sqlx::postgres::PgConnectOptions) -> Partition {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (paused, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let watch = watch.clone();
                tokio::spawn(async move {
                    let _ = relay(client, upstream, watch).await;
                });
            }
        });
        Partition { addr, paused }
    }

    fn cut(&self, cut: bool) {
        let _ = self.paused.send(cut);
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    upstream: sqlx::postgres::PgConnectOptions,
    mut paused: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = paused.wait_for(|p| !*p).await;
    let server: Box<dyn AsyncStream> = match upstream.get_socket() {
        Some(dir) => Box::new(
            tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{}", upstream.get_port())))
                .await?,
        ),
        None => Box::new(
            tokio::net::TcpStream::connect((upstream.get_host(), upstream.get_port())).await?,
        ),
    };
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut sr, mut sw) = tokio::io::split(server);
    let mut p1 = paused.clone();
    let up = async move {
        let mut buf = vec![0u8; 16384];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let _ = p1.wait_for(|p| !*p).await;
            sw.write_all(&buf[..n]).await?;
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 16384];
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let _ = paused.wait_for(|p| !*p).await;
            cw.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! { r = up => r, r = down => r }
}

trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> AsyncStream for T {}

/// A database cut off by the network neither answers nor refuses: without the probe, every
/// request would wait on it for as long as the cut lasts.
#[tokio::test]
async fn a_database_cut_off_by_the_network_gets_a_503_page_within_a_second() {
    let db = kenshu_tests::test_db().await;
    user(&db.pool, "staff1", Role::Staff).await;
    let partition = Partition::start(db.options()).await;
    // Over TCP through the relay (options with a socket would prefer the socket).
    kenshu_tests::app_role().await;
    let through = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.0.1")
        .port(partition.addr.port())
        .username(kenshu_tests::APP_ROLE)
        .database(&db.name);
    let pool = kenshu_db::connect(through, 4).await.unwrap();
    let app = kenshu_tests::TestApp::spawn_with(db, pool, kenshu_web::Settings::default()).await;
    let mut b = app.signed_in("staff1").await;
    assert_eq!(b.get("/my").await.status, 200);

    partition.cut(true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let client = kenshu_tests::http::browser_like()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for path in ["/my", "/login", "/courses/clerk", "/readyz"] {
        let started = Instant::now();
        let res = b
            .client
            .get(app.url(path))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} hung while the database was cut off: {e}"));
        assert_eq!(res.status(), 503, "{path}");
        assert!(started.elapsed() < Duration::from_secs(1), "{path}");
        let body = res.text().await.unwrap();
        if path != "/readyz" {
            assert!(body.contains("一時的にご利用いただけません"), "{body}");
        }
    }
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the process itself is alive"
    );

    partition.cut(false);
    let mut ok = false;
    for _ in 0..50 {
        if b.get("/my").await.status == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "the portal goes on by itself once the database answers again"
    );
}
