//! Route tables: each lists its routes once, and the list both registers them and is what tests and
//! documents compare against, so a route cannot be served without being listed.

/// `route_table!(TABLE, register, "/prefix", [ get "/path" => handler; post "/x" => h, limit = N; ])`
/// declares `TABLE: &[(&str, &str)]` (method, full path template) and `fn register(cfg)`. Each route
/// gets its own resource guarded by its method, so routes sharing a path fall through to each other;
/// `limit` sets the body size a route accepts.
macro_rules! route_table {
    ($table:ident, $register:ident, $prefix:literal, [
        $( $method:ident $path:literal => $handler:path $(, limit = $limit:expr)? ; )*
    ]) => {
        pub const $table: &[(&str, &str)] = &[
            $( (route_table!(@name $method), concat!($prefix, $path)) ),*
        ];

        pub fn $register(cfg: &mut actix_web::web::ServiceConfig) {
            $(
                cfg.service(
                    actix_web::web::resource(concat!($prefix, $path))
                        .guard(route_table!(@guard $method))
                        .app_data($crate::http::routes::RoutePattern(concat!($prefix, $path)))
                        $( .app_data(actix_web::web::PayloadConfig::new($limit)) )?
                        .route(actix_web::web::$method().to($handler)),
                );
            )*
        }
    };
    (@name get) => { "GET" };
    (@name post) => { "POST" };
    (@name put) => { "PUT" };
    (@name patch) => { "PATCH" };
    (@name delete) => { "DELETE" };
    (@guard get) => { actix_web::guard::Get() };
    (@guard post) => { actix_web::guard::Post() };
    (@guard put) => { actix_web::guard::Put() };
    (@guard patch) => { actix_web::guard::Patch() };
    (@guard delete) => { actix_web::guard::Delete() };
}

pub(crate) use route_table;

/// The pattern of the route a request matched, kept with the route so that the metrics need not
/// match the path against every route again (`HttpRequest::match_pattern` does, with regexes).
#[derive(Debug, Clone, Copy)]
pub struct RoutePattern(pub &'static str);
