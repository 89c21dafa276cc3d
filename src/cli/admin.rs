//! Admin commands as calls of the admin API: each command becomes a [`Plan`] (what to request and how
//! to show the answer), and [`execute`] carries plans out the same way in local and remote mode.

use super::client::{Body, Client, Reply, Stop};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// One kind of object of the admin API, as the CLI knows it.
pub struct Kind {
    /// What one object is called in messages.
    pub noun: &'static str,
    /// The collection below `/api/v1/tenants/{slug}/` (or the whole path for `tenants`).
    pub collection: &'static str,
    /// The fields of a list line, as JSON pointers into one item.
    pub columns: &'static [&'static str],
}

pub const USERS: Kind = Kind {
    noun: "user",
    collection: "users",
    columns: &[
        "/id",
        "/userPrincipalName",
        "/displayName",
        "/userType",
        "/externalUserState",
        "/accountEnabled",
    ],
};
pub const GROUPS: Kind = Kind {
    noun: "group",
    collection: "groups",
    columns: &["/id", "/displayName", "/memberCount", "/description"],
};
pub const APPS: Kind = Kind {
    noun: "app",
    collection: "apps",
    columns: &[
        "/id",
        "/clientId",
        "/name",
        "/public",
        "/firstParty",
        "/enabled",
    ],
};
pub const INVITATIONS: Kind = Kind {
    noun: "invitation",
    collection: "invitations",
    columns: &[
        "/id",
        "/invitedUserEmailAddress",
        "/status",
        "/delivery",
        "/invitedBy",
        "/createdAt",
    ],
};
pub const BRANDING: Kind = Kind {
    noun: "branding",
    collection: "branding",
    columns: &[],
};
pub const POLICIES: Kind = Kind {
    noun: "policies",
    collection: "policies",
    columns: &[],
};
pub const AUDIT: Kind = Kind {
    noun: "audit event",
    collection: "audit",
    columns: &["/at", "/eventName", "/actor", "/target", "/outcome"],
};
pub const TENANTS: Kind = Kind {
    noun: "tenant",
    collection: "",
    columns: &["/slug", "/id", "/displayName", "/issuer"],
};

/// Query parameters of a list.
pub type Query = Vec<(&'static str, String)>;

/// What to request.
pub enum Op {
    /// GET a list (an array, or a page with `value`); with `all`, follow `nextCursor`.
    List {
        path: String,
        query: Query,
        all: bool,
    },
    /// GET one object.
    Show { path: String },
    /// PATCH with `If-Match`: the given ETag, else the one a GET returns first.
    Update {
        path: String,
        patch: Value,
        if_match: Option<String>,
    },
    /// DELETE with `If-Match` as for updates.
    Delete {
        path: String,
        if_match: Option<String>,
    },
    /// One request.
    Call {
        method: &'static str,
        path: String,
        body: Body,
        headers: Vec<(&'static str, String)>,
    },
    /// GET and write the body to a file (or standard output).
    Save {
        path: String,
        query: Query,
        output: Option<PathBuf>,
    },
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
}

pub struct Plan {
    pub op: Op,
    pub view: View,
}

/// An id or slug as one path segment. Ids are opaque: everything outside the unreserved characters is
/// escaped, and dot segments (which URL parsers would fold away) are refused.
pub fn segment(raw: &str) -> Result<String, Stop> {
    if raw.trim().is_empty() || raw.chars().all(|c| c == '.') {
        return Err(Stop::Usage(format!("{raw:?} is not an id")));
    }
    Ok(raw
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect())
}

impl Kind {
    /// `/api/v1/tenants/{tenant}/{collection}[/{id}]{rest}`.
    pub fn path(&self, tenant: &str, id: Option<&str>, rest: &str) -> Result<String, Stop> {
        let mut p = format!("/api/v1/tenants/{}/{}", segment(tenant)?, self.collection);
        if let Some(id) = id {
            p.push('/');
            p.push_str(&segment(id)?);
        }
        p.push_str(rest);
        Ok(p)
    }

    pub fn list(&self, tenant: &str, query: Query, all: bool) -> Result<Plan, Stop> {
        Ok(Plan {
            op: Op::List {
                path: self.path(tenant, None, "")?,
                query,
                all,
            },
            view: View::Table(self.columns),
        })
    }

    pub fn show(&self, tenant: &str, id: Option<&str>) -> Result<Plan, Stop> {
        Ok(Plan {
            op: Op::Show {
                path: self.path(tenant, id, "")?,
            },
            view: View::Describe,
        })
    }

    /// An update of the fields in `patch`; refused when it changes nothing.
    pub fn update(
        &self,
        tenant: &str,
        id: Option<&str>,
        patch: Patch,
        if_match: Option<String>,
    ) -> Result<Plan, Stop> {
        if patch.0.is_empty() {
            return Err(Stop::Usage(format!(
                "nothing to change: name at least one field of the {} (see --help)",
                self.noun
            )));
        }
        Ok(Plan {
            op: Op::Update {
                path: self.path(tenant, id, "")?,
                patch: Value::Object(patch.0),
                if_match,
            },
            view: View::Describe,
        })
    }

    /// A deletion, only when confirmed with `--yes`.
    pub fn delete(
        &self,
        tenant: &str,
        id: &str,
        yes: bool,
        if_match: Option<String>,
    ) -> Result<Plan, Stop> {
        if !yes {
            return Err(Stop::Usage(format!(
                "deleting {} {id} cannot be undone; add --yes to confirm",
                self.noun
            )));
        }
        Ok(Plan {
            op: Op::Delete {
                path: self.path(tenant, Some(id), "")?,
                if_match,
            },
            view: View::Done(format!("deleted {} {id}", self.noun)),
        })
    }

    /// Any other request on the collection or one object of it.
    pub fn call(
        &self,
        method: &'static str,
        (tenant, id, rest): (&str, Option<&str>, &str),
        body: Body,
        view: View,
    ) -> Result<Plan, Stop> {
        Ok(Plan {
            op: Op::Call {
                method,
                path: self.path(tenant, id, rest)?,
                body,
                headers: vec![],
            },
            view,
        })
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

fn with_query(path: &str, query: &Query) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

async fn send(
    client: &Client,
    method: &str,
    path: &str,
    body: Body,
    headers: &[(&str, &str)],
) -> Result<Reply, Stop> {
    client.call(method, path, body, headers).await?.ok()
}

/// The ETag to send: the caller's, else the one the object has now.
async fn etag(client: &Client, path: &str, given: Option<String>) -> Result<String, Stop> {
    if let Some(tag) = given {
        return Ok(tag);
    }
    let reply = send(client, "GET", path, Body::None, &[]).await?;
    reply
        .header("etag")
        .map(str::to_string)
        .ok_or_else(|| Stop::Failed(format!("the server sent no ETag for {path}")))
}

/// Carries out a plan and prints the answer: JSON (one object per line) or a readable summary.
pub async fn execute(client: &Client, plan: Plan, json: bool) -> Result<(), Stop> {
    let reply = match plan.op {
        Op::List { path, query, all } => {
            return list(client, &path, query, all, json, &plan.view).await;
        }
        Op::Save {
            path,
            query,
            output,
        } => {
            let reply = send(client, "GET", &with_query(&path, &query), Body::None, &[]).await?;
            return save(&reply.body, output);
        }
        Op::Show { path } => send(client, "GET", &path, Body::None, &[]).await?,
        Op::Update {
            path,
            patch,
            if_match,
        } => {
            let tag = etag(client, &path, if_match).await?;
            send(
                client,
                "PATCH",
                &path,
                Body::Json(patch),
                &[("if-match", &tag)],
            )
            .await?
        }
        Op::Delete { path, if_match } => {
            let tag = etag(client, &path, if_match).await?;
            send(client, "DELETE", &path, Body::None, &[("if-match", &tag)]).await?
        }
        Op::Call {
            method,
            path,
            body,
            headers,
        } => {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(client, method, &path, body, &headers).await?
        }
    };
    let value = reply.json()?;
    if json {
        match &value {
            Value::Null => {}
            Value::Array(items) => items.iter().for_each(|item| println!("{item}")),
            one => println!("{one}"),
        }
        return Ok(());
    }
    match plan.view {
        View::Done(sentence) => println!("{sentence}"),
        View::Field(pointer) => {
            println!("{}", scalar(value.pointer(pointer).unwrap_or(&Value::Null)))
        }
        View::Table(columns) => print!("{}", table(columns, items(&value))),
        View::Describe => {
            let mut out = String::new();
            describe(&value, 0, &mut out);
            if let Some(tag) = reply.header("etag") {
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
    path: &str,
    mut query: Query,
    all: bool,
    json: bool,
    view: &View,
) -> Result<(), Stop> {
    let mut rows: Vec<Value> = Vec::new();
    loop {
        let page = send(client, "GET", &with_query(path, &query), Body::None, &[])
            .await?
            .json()?;
        for item in items(&page) {
            if json {
                println!("{item}");
            } else {
                rows.push(item.clone());
            }
        }
        match page["nextCursor"].as_str().filter(|_| all) {
            Some(cursor) => {
                query.retain(|(k, _)| *k != "cursor");
                query.push(("cursor", cursor.to_string()));
            }
            None => break,
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
    fn ids_become_single_segments() {
        assert_eq!(segment("a b/c?d").ok().as_deref(), Some("a%20b%2Fc%3Fd"));
        assert!(matches!(segment(".."), Err(Stop::Usage(_))));
        assert!(matches!(segment(" "), Err(Stop::Usage(_))));
    }

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
            USERS.update("default", Some("x"), Patch::default(), None),
            Err(Stop::Usage(_))
        ));
        assert!(matches!(
            USERS.delete("default", "x", false, None),
            Err(Stop::Usage(_))
        ));
        let p = Patch::default()
            .set("a", Some(1))
            .set::<bool>("b", None)
            .list::<String>("c", vec![]);
        assert_eq!(Value::Object(p.0), json!({"a": 1}));
    }
}
