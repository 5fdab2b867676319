//! An HTTP server on 127.0.0.1 for the tests of the `http` module and of roles that talk to
//! APIs: an axum router on its own runtime thread, stopped when dropped (also when a test
//! panics). With [`Server::start_tls`] it speaks HTTPS with a certificate from a throwaway CA.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A CA and a certificate it signed for `localhost` and 127.0.0.1.
pub struct Pki {
    pub ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl Pki {
    pub fn new() -> Pki {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "eov test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let params = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("leaf params");
        let cert = params.signed_by(&key, &ca).expect("leaf");
        Pki {
            ca_pem: ca.pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert_der.clone().into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into()),
            )
            .expect("TLS config");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// Accepts TCP connections and completes the TLS handshake; a failed handshake (a client
/// that rejects the certificate) is dropped and the next connection accepted.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

impl Server {
    pub fn start(router: Router) -> Server {
        Self::spawn("127.0.0.1:0", router, None)
    }

    /// On another local address: the gateway of a lab network, for its hosts to reach.
    pub fn start_at(bind: &str, router: Router) -> Server {
        Self::spawn(bind, router, None)
    }

    pub fn start_tls(router: Router, pki: &Pki) -> Server {
        Self::spawn("127.0.0.1:0", router, Some(pki.acceptor()))
    }

    fn spawn(bind: &str, router: Router, tls: Option<TlsAcceptor>) -> Server {
        let bind = bind.to_string();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let tcp = TcpListener::bind(&bind).await.expect("bind");
                addr_tx.send(tcp.local_addr().expect("addr")).expect("send");
                let stop = async {
                    let _ = stop_rx.await;
                };
                match tls {
                    None => axum::serve(tcp, router)
                        .with_graceful_shutdown(stop)
                        .await
                        .expect("serve"),
                    Some(acceptor) => axum::serve(TlsListener { tcp, acceptor }, router)
                        .with_graceful_shutdown(stop)
                        .await
                        .expect("serve"),
                }
            });
        });
        let addr = addr_rx.recv().expect("the server's address");
        Server {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
