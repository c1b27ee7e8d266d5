//! A bare HTTP/1.1 keep-alive client (one hyper connection, requests back to back) and the
//! sign-in of the bench accounts.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: SendRequest<Full<Bytes>>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The value of cookie `name` set by this response.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next()?.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
            sender,
        })
    }

    /// Opens a new connection to the same address (after the old one failed).
    pub async fn reopen(&mut self) -> anyhow::Result<()> {
        *self = Conn::open(self.addr).await?;
        Ok(())
    }

    /// Sends one request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<String>,
    ) -> anyhow::Result<Reply> {
        self.send_with(method, path, cookie, form, &[]).await
    }

    /// [`Conn::send`] with extra headers (e.g. `X-Forwarded-For`).
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<String>,
        headers: &[(&'static str, String)],
    ) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.clone());
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req.body(body)?;
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn get(&mut self, path: &str, cookie: Option<&str>) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, cookie, None).await
    }
}

/// A signed-in account: the Cookie header to send and the session's CSRF token.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// Signs in as `login` the way a browser does and returns the session.
pub async fn sign_in(conn: &mut Conn, login: &str, password: &str) -> anyhow::Result<Session> {
    sign_in_to(conn, None, login, password).await
}

/// [`sign_in`] with the institution's code, which the form asks for when the portal holds
/// several institutions.
pub async fn sign_in_to(
    conn: &mut Conn,
    institution: Option<&str>,
    login: &str,
    password: &str,
) -> anyhow::Result<Session> {
    let form = conn.get("/login", None).await?;
    if form.status != StatusCode::OK {
        bail!("GET /login answered {}", form.status);
    }
    let pre = form
        .set_cookie("kenshu_csrf")
        .context("GET /login set no kenshu_csrf cookie")?;
    let token = csrf_of(&form.text()).context("the sign-in form has no csrf field")?;
    let mut body = format!("csrf={token}&login={login}&password={password}&next=%2Fmy");
    if let Some(code) = institution {
        body.push_str(&format!("&institution={code}"));
    }
    let res = conn
        .send(
            Method::POST,
            "/login",
            Some(&format!("kenshu_csrf={pre}")),
            Some(body),
        )
        .await?;
    if res.status != StatusCode::SEE_OTHER {
        bail!(
            "signing in as {login} answered {}: {}",
            res.status,
            res.text().chars().take(300).collect::<String>()
        );
    }
    let session = res
        .set_cookie("kenshu_session")
        .context("sign-in set no kenshu_session cookie")?;
    let cookie = format!("kenshu_session={session}");
    let my = conn.get("/my", Some(&cookie)).await?;
    if my.status != StatusCode::OK {
        bail!("GET /my as {login} answered {}", my.status);
    }
    let csrf = csrf_of(&my.text()).context("/my has no csrf field")?;
    Ok(Session { cookie, csrf })
}

/// Signs in every account over `parallel` connections, in order.
pub async fn sign_in_all(
    addr: SocketAddr,
    logins: &[String],
    password: &str,
    parallel: usize,
) -> anyhow::Result<Vec<Session>> {
    let parallel = parallel.clamp(1, logins.len().max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..parallel {
        let mine: Vec<(usize, String)> = logins
            .iter()
            .enumerate()
            .filter(|(i, _)| i % parallel == lane)
            .map(|(i, l)| (i, l.clone()))
            .collect();
        let password = password.to_string();
        tasks.spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut out = Vec::with_capacity(mine.len());
            for (i, login) in mine {
                out.push((i, sign_in(&mut conn, &login, &password).await?));
            }
            anyhow::Ok(out)
        });
    }
    let mut all = Vec::with_capacity(logins.len());
    while let Some(done) = tasks.join_next().await {
        all.extend(done.context("sign-in task")??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, s)| s).collect())
}
