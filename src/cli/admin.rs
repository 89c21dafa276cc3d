//! Admin commands as typed calls: each command becomes a [`Plan`] (what to call and how to show the
//! answer), and [`execute`] carries plans out the same way in local and remote mode.

use super::calls::{Call, Object, Query};
use super::client::{Client, Reply, Stop};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// The fields of a list line, as JSON pointers into one item.
pub fn columns(object: Object) -> &'static [&'static str] {
    match object {
        Object::User => &[
            "/id",
            "/userPrincipalName",
            "/displayName",
            "/userType",
            "/externalUserState",
            "/accountEnabled",
        ],
        Object::Group => &["/id", "/displayName", "/memberCount", "/description"],
        Object::App => &[
            "/id",
            "/clientId",
            "/name",
            "/public",
            "/firstParty",
            "/enabled",
        ],
        Object::Invitation => &[
            "/id",
            "/invitedUserEmailAddress",
            "/status",
            "/delivery",
            "/invitedBy",
            "/createdAt",
        ],
        Object::Audit => &["/at", "/eventName", "/actor", "/target", "/outcome"],
        Object::IdentityProvider => &[
            "/id",
            "/displayName",
            "/preset",
            "/issuer",
            "/domains",
            "/members",
            "/enabled",
            "/shared",
        ],
        Object::TermsAcceptance => &[
            "/version",
            "/acceptedAt",
            "/mail",
            "/displayName",
            "/userId",
        ],
        Object::Webhook => &["/id", "/url", "/events", "/enabled", "/description"],
        Object::Branding | Object::Policies | Object::Terms => &[],
    }
}

/// The columns of a webhook endpoint's delivery log.
/// A guest's sponsors.
pub const SPONSOR_COLUMNS: &[&str] = &["/id", "/displayName", "/mail"];

pub const DELIVERY_COLUMNS: &[&str] = &[
    "/id",
    "/createdAt",
    "/eventName",
    "/state",
    "/attempts",
    "/lastStatus",
    "/lastError",
];

/// The columns of the tenant list.
pub const TENANT_COLUMNS: &[&str] = &["/slug", "/id", "/displayName", "/issuer"];

/// What to do.
pub enum Op {
    /// A list (an array, or a page with `value`); with `all`, follow `nextCursor`.
    List { call: Call, all: bool },
    /// PATCH or DELETE with `If-Match`: the given ETag, else the one a read returns first.
    Guarded {
        call: Call,
        read: Call,
        if_match: Option<String>,
    },
    /// One call.
    Once(Call),
    /// One call whose body is written to a file (or standard output).
    Save { call: Call, output: Option<PathBuf> },
}

/// How an answer is shown without `--json`.
pub enum View {
    /// Field by field.
    Describe,
    /// A table of the list's items with these columns.
    Table(&'static [&'static str]),
    /// Only this field (a JSON pointer), e.g. a link or an id.
    Field(&'static str),
    /// This sentence (for answers without a body).
    Done(String),
    /// A new app's credentials, the secret with a warning that it is shown only now.
    Credentials,
    /// A check's outcome (`ok`, and `error` when not ok). A failed check ends the command with exit
    /// code 1 and `error: {this}: {error}`, so that a script can tell without reading the output.
    Check(&'static str),
}

pub struct Plan {
    pub op: Op,
    pub view: View,
}

impl Plan {
    pub fn once(call: Call, view: View) -> Plan {
        Plan {
            op: Op::Once(call),
            view,
        }
    }

    pub fn list(object: Object, tenant: &str, query: Query, all: bool) -> Plan {
        Plan {
            op: Op::List {
                call: Call::List {
                    object,
                    tenant: tenant.to_string(),
                    query,
                },
                all,
            },
            view: View::Table(columns(object)),
        }
    }

    pub fn show(object: Object, tenant: &str, id: Option<&str>) -> Plan {
        Plan::once(show(object, tenant, id), View::Describe)
    }

    /// An update of the fields in `patch`; refused when it changes nothing.
    pub fn update(
        object: Object,
        tenant: &str,
        id: Option<&str>,
        patch: Patch,
        if_match: Option<String>,
    ) -> Result<Plan, Stop> {
        if patch.0.is_empty() {
            return Err(Stop::Usage(format!(
                "nothing to change: name at least one field of the {} (see --help)",
                object.noun()
            )));
        }
        Ok(Plan {
            op: Op::Guarded {
                call: Call::Update {
                    object,
                    tenant: tenant.to_string(),
                    id: id.map(str::to_string),
                    patch: Value::Object(patch.0),
                    if_match: String::new(),
                },
                read: show(object, tenant, id),
                if_match,
            },
            view: View::Describe,
        })
    }

    /// A deletion, only when confirmed with `--yes`.
    pub fn delete(
        object: Object,
        tenant: &str,
        id: &str,
        yes: bool,
        if_match: Option<String>,
    ) -> Result<Plan, Stop> {
        if !yes {
            return Err(Stop::Usage(format!(
                "deleting {} {id} cannot be undone; add --yes to confirm",
                object.noun()
            )));
        }
        Ok(Plan {
            op: Op::Guarded {
                call: Call::Delete {
                    object,
                    tenant: tenant.to_string(),
                    id: id.to_string(),
                    if_match: String::new(),
                },
                read: show(object, tenant, Some(id)),
                if_match,
            },
            view: View::Done(format!("deleted {} {id}", object.noun())),
        })
    }
}

fn show(object: Object, tenant: &str, id: Option<&str>) -> Call {
    Call::Show {
        object,
        tenant: tenant.to_string(),
        id: id.map(str::to_string),
    }
}

/// The fields an update changes (unset options are left out).
#[derive(Default)]
pub struct Patch(pub Map<String, Value>);

impl Patch {
    pub fn set<T: serde::Serialize>(mut self, key: &str, value: Option<T>) -> Patch {
        if let Some(v) = value.and_then(|v| serde_json::to_value(v).ok()) {
            self.0.insert(key.to_string(), v);
        }
        self
    }

    /// A list option replaces the whole list when given at least once.
    pub fn list<T: serde::Serialize>(self, key: &str, values: Vec<T>) -> Patch {
        let given = (!values.is_empty()).then_some(values);
        self.set(key, given)
    }
}

/// `--enable` / `--disable` as an optional boolean.
pub fn switch(enable: bool, disable: bool) -> Option<bool> {
    match (enable, disable) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Query parameters from optional values.
pub fn query<const N: usize>(pairs: [(&'static str, Option<String>); N]) -> Query {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.filter(|s| !s.is_empty()).map(|v| (k, v)))
        .collect()
}

/// The ETag to send: the caller's, else the one the object has now.
async fn etag(client: &Client, read: Call, given: Option<String>) -> Result<String, Stop> {
    if let Some(tag) = given {
        return Ok(tag);
    }
    client
        .send(read)
        .await?
        .etag
        .ok_or_else(|| Stop::Failed("the server sent no ETag".into()))
}

/// `call` with the `If-Match` it is to send.
fn with_tag(call: Call, tag: String) -> Call {
    match call {
        Call::Update {
            object,
            tenant,
            id,
            patch,
            ..
        } => Call::Update {
            object,
            tenant,
            id,
            patch,
            if_match: tag,
        },
        Call::Delete {
            object, tenant, id, ..
        } => Call::Delete {
            object,
            tenant,
            id,
            if_match: tag,
        },
        other => other,
    }
}

/// Carries out a plan and prints the answer: JSON (one object per line) or a readable summary.
pub async fn execute(client: &Client, plan: Plan, json: bool) -> Result<(), Stop> {
    let reply: Reply = match plan.op {
        Op::List { call, all } => return list(client, call, all, json, &plan.view).await,
        Op::Save { call, output } => return save(&client.send(call).await?.body, output),
        Op::Once(call) => client.send(call).await?,
        Op::Guarded {
            call,
            read,
            if_match,
        } => {
            let tag = etag(client, read, if_match).await?;
            client.send(with_tag(call, tag)).await?
        }
    };
    let value = reply.json()?;
    let failed_check = match plan.view {
        View::Check(what) if value["ok"] != Value::Bool(true) => {
            Some(Stop::Failed(format!("{what}: {}", scalar(&value["error"]))))
        }
        _ => None,
    };
    if json {
        match &value {
            Value::Null => {}
            Value::Array(items) => items.iter().for_each(|item| println!("{item}")),
            one => println!("{one}"),
        }
        return failed_check.map_or(Ok(()), Err);
    }
    if let Some(stop) = failed_check {
        return Err(stop);
    }
    match plan.view {
        View::Done(sentence) => println!("{sentence}"),
        View::Field(pointer) => {
            println!("{}", scalar(value.pointer(pointer).unwrap_or(&Value::Null)))
        }
        View::Table(columns) => print!("{}", table(columns, items(&value))),
        View::Credentials => {
            println!("client_id: {}", scalar(&value["clientId"]));
            if let Some(secret) = value["clientSecret"].as_str() {
                println!("client_secret: {secret}");
                println!("(the secret is shown only now; store it safely)");
            }
        }
        View::Check(_) => {
            // Only what the check found: a passed check has no error to show.
            let found: Map<String, Value> = value
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut out = String::new();
            describe(&Value::Object(found), 0, &mut out);
            print!("{out}");
        }
        View::Describe => {
            let mut out = String::new();
            describe(&value, 0, &mut out);
            if let Some(tag) = &reply.etag {
                out.push_str(&format!("etag: {tag}\n"));
            }
            print!("{out}");
        }
    }
    Ok(())
}

/// The items of a list answer: a bare array, or a page's `value`.
fn items(v: &Value) -> &[Value] {
    v.as_array()
        .or_else(|| v["value"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
}

async fn list(
    client: &Client,
    mut call: Call,
    all: bool,
    json: bool,
    view: &View,
) -> Result<(), Stop> {
    let mut rows: Vec<Value> = Vec::new();
    loop {
        let page = client.send(call.clone()).await?.json()?;
        for item in items(&page) {
            if json {
                println!("{item}");
            } else {
                rows.push(item.clone());
            }
        }
        match (page["nextCursor"].as_str().filter(|_| all), &mut call) {
            (Some(cursor), Call::List { query, .. }) => {
                query.retain(|(k, _)| *k != "cursor");
                query.push(("cursor", cursor.to_string()));
            }
            _ => break,
        }
    }
    if let (false, View::Table(columns)) = (json, view) {
        print!("{}", table(columns, &rows));
    }
    Ok(())
}

fn save(bytes: &[u8], output: Option<PathBuf>) -> Result<(), Stop> {
    match output {
        Some(file) => std::fs::write(&file, bytes)
            .map_err(|e| Stop::Failed(format!("cannot write {}: {e}", file.display())))
            .map(|_| eprintln!("wrote {} bytes to {}", bytes.len(), file.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(bytes)
                .map_err(|e| Stop::Failed(format!("cannot write the output: {e}")))
        }
    }
}

/// A JSON value as text: strings bare, nothing as `-`.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) if s.is_empty() => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `userPrincipalName` → `user principal name`.
fn words(key: &str) -> String {
    let mut out = String::new();
    for ch in key.chars() {
        if ch.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// An aligned table with a header, one row per item.
fn table(columns: &[&str], rows: &[Value]) -> String {
    if rows.is_empty() {
        return "(none)\n".into();
    }
    let header: Vec<String> = columns
        .iter()
        .map(|c| words(c.trim_start_matches('/')).to_uppercase())
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| scalar(r.pointer(c).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            std::iter::once(&header)
                .chain(&cells)
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One line for an object inside a list of a detail (a group's members, an app's assignments).
fn label(item: &Value) -> String {
    const NAMES: [&str; 6] = [
        "principalType",
        "displayName",
        "name",
        "principalName",
        "userPrincipalName",
        "value",
    ];
    let Some(map) = item.as_object() else {
        return scalar(item);
    };
    let mut parts: Vec<String> = NAMES
        .iter()
        .filter_map(|k| {
            map.get(*k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .map(str::to_string)
        .collect();
    if let Some(role) = map
        .get("appRole")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        parts.push(format!("as {role}"));
    }
    if let Some(id) = ["id", "principalId"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
    {
        parts.push(format!("({id})"));
    }
    if parts.is_empty() {
        item.to_string()
    } else {
        parts.join(" ")
    }
}

/// Field-by-field text of an answer, nested objects indented.
fn describe(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let Some(map) = v.as_object() else {
        out.push_str(&format!("{pad}{}\n", scalar(v)));
        return;
    };
    for (key, value) in map {
        let name = words(key);
        match value {
            Value::Object(inner) if inner.is_empty() => {}
            Value::Object(_) => {
                out.push_str(&format!("{pad}{name}:\n"));
                describe(value, indent + 2, out);
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                out.push_str(&format!("{pad}{name}:\n"));
                for item in items {
                    out.push_str(&format!("{pad}  - {}\n", label(item)));
                }
            }
            other => out.push_str(&format!("{pad}{name}: {}\n", scalar(other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_read_as_text() {
        let mut out = String::new();
        describe(
            &json!({"group": {"displayName": "Partners", "memberCount": 1},
                    "members": [{"id": "u1", "displayName": "Bob", "userPrincipalName": "bob"}],
                    "apps": []}),
            0,
            &mut out,
        );
        assert_eq!(
            out,
            "group:\n  display name: Partners\n  member count: 1\nmembers:\n  - Bob bob (u1)\napps: -\n"
        );
        let t = table(
            &["/id", "/displayName"],
            &[json!({"id": "1", "displayName": "A"})],
        );
        assert_eq!(t, "ID  DISPLAY NAME\n1   A\n");
    }

    #[test]
    fn updates_need_a_field_and_deletes_a_confirmation() {
        assert!(matches!(
            Plan::update(Object::User, "default", Some("x"), Patch::default(), None),
            Err(Stop::Usage(_))
        ));
        assert!(matches!(
            Plan::delete(Object::User, "default", "x", false, None),
            Err(Stop::Usage(_))
        ));
        let p = Patch::default()
            .set("a", Some(1))
            .set::<bool>("b", None)
            .list::<String>("c", vec![]);
        assert_eq!(Value::Object(p.0), json!({"a": 1}));
    }
}
