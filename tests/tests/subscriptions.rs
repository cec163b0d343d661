//! GraphQL subscriptions over a real websocket (graphql-transport-ws): the resident's status
//! board is pushed when an operator acts; other origins cannot open the socket.

use std::time::Duration;

use anyhow::Context;
use domain::staff::Role;
use e2e::{TestApp, active_resident, jpeg, pdf};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp, cookie: &str, origin: &str) -> anyhow::Result<Result<Socket, u16>> {
    let mut request = format!("ws://{}/graphql/ws", app.address).into_client_request()?;
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    headers.insert("cookie", cookie.parse()?);
    headers.insert("origin", origin.parse()?);
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(Ok(socket)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Ok(Err(response.status().as_u16())),
        Err(e) => Err(e.into()),
    }
}

async fn next_json(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await?.context("socket closed")??;
        if let Message::Text(text) = message {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn status_board_changes_are_pushed_to_the_resident(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let login = resident.resident_login(&pool, "6106015205900001", e2e::RESIDENT_PASSWORD).await?;
    let cookie = login
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("cookie")?
        .to_owned();

    // Another origin is refused before the upgrade.
    assert_eq!(open(&app, &cookie, "http://situs-lain.example").await?.err(), Some(403));

    let mut socket =
        open(&app, &cookie, "http://localhost:8080").await?.map_err(|s| anyhow::anyhow!("upgrade refused: {s}"))?;
    socket.send(Message::Text(json!({ "type": "connection_init" }).to_string().into())).await?;
    assert_eq!(next_json(&mut socket).await?["type"], "connection_ack");
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { myRequestUpdates { number statusLabel } }" } })
                .to_string()
                .into(),
        ))
        .await?;

    // The resident submits; the operator claims: both changes are pushed.
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let resident = &resident;
        let app = &app;
        async move {
            let (status, body) = resident.upload(&app.url(""), None, bytes, name).await?;
            anyhow::ensure!(status == 201, "{body}");
            Ok::<_, anyhow::Error>(body["uploadId"].as_str().context("id")?.to_owned())
        }
    };
    let (letter, kk, ktp) =
        (upload(pdf(), "s.pdf").await?, upload(jpeg(60, 40), "kk.jpg").await?, upload(jpeg(60, 40), "ktp.jpg").await?);
    let submitted = resident
        .gql(
            "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId number } }",
            json!({ "i": { "serviceCode": "AKTA_KELAHIRAN", "idempotencyKey": "kunci-ws-0001",
                "fields": [ { "name": "nama_anak", "value": "Dayang" }, { "name": "jenis_kelamin", "value": "Perempuan" },
                            { "name": "tempat_lahir", "value": "Putussibau" }, { "name": "tanggal_lahir", "value": "2026-11-01" },
                            { "name": "anak_ke", "value": "1" }, { "name": "nik_ibu", "value": "6106015205900001" } ],
                "documents": [ { "code": "SURAT_KETERANGAN_LAHIR", "uploadId": letter }, { "code": "KARTU_KELUARGA", "uploadId": kk },
                               { "code": "KTP_ORANG_TUA", "uploadId": ktp } ] } }),
        )
        .await?;
    let number =
        submitted.data()?.pointer("/submitServiceRequest/number").and_then(Value::as_str).context("number")?.to_owned();
    let request_id = submitted.data()?.pointer("/submitServiceRequest/requestId").cloned().context("id")?;
    let first = next_json(&mut socket).await?;
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["myRequestUpdates"],
        json!({ "number": number, "statusLabel": "Menunggu diproses" })
    );

    operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request_id })).await?.data()?;
    let second = next_json(&mut socket).await?;
    assert_eq!(second["payload"]["data"]["myRequestUpdates"]["statusLabel"], "Sedang diproses");

    // A bad subscription over the socket gets the same code and Indonesian message as over HTTP.
    socket
        .send(Message::Text(
            json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { tidakAda }" } })
                .to_string()
                .into(),
        ))
        .await?;
    let refused = next_json(&mut socket).await?;
    assert_eq!(refused["id"], "2", "{refused}");
    let errors = if refused["type"] == "error" { &refused["payload"] } else { &refused["payload"]["errors"] };
    assert_eq!(errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{refused}");
    assert!(
        errors[0]["message"].as_str().is_some_and(|m| m.starts_with("Permintaan GraphQL tidak valid")),
        "{refused}"
    );
    app.stop().await
}
