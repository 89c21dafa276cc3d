use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    guestlist::crypto::init();
    let cli = guestlist::cli::Cli::parse();
    match guestlist::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("guestlist: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
