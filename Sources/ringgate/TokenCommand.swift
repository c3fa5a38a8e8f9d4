import ArgumentParser
import Foundation
import Gateway

/// `ringgate token`: keys and short-lived tokens for automation.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create signing keys, issue and revoke short-lived gateway tokens.",
        subcommands: [Keygen.self, Issue.self, Revoke.self]
    )

    /// `ringgate token keygen --out FILE`
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 signing key (PEM, mode 0600) to a new file.")

        @Option(name: .long, help: "Path of the key file to create; it must not exist.")
        var out: String

        func run() throws {
            let key = GatewaySigningKey.generate()
            do {
                try key.write(toNewFile: out)
            } catch {
                throw TokenCommandError(error.message)
            }
            print("wrote Ed25519 signing key \(key.keyID) to \(out)")
        }
    }

    /// `ringgate token issue (--config FILE | --key FILE) --identity NAME --groups G --ttl 15m --resources R`
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a short-lived signed token for automation.",
            discussion: """
                With --config, the key, issuer and maximum TTL come from the file's gateway_tokens \
                section; otherwise from --key, --issuer and --max-ttl. The token goes to standard \
                output and nowhere else.
                """)

        @Option(name: .long, help: "A configuration file whose gateway_tokens section to use.")
        var config: String?

        @Option(name: .long, help: "The Ed25519 signing key file (mode 0600), without --config.")
        var key: String?

        @Option(name: .long, help: "The token issuer; must match gateway_tokens.issuer (without --config).")
        var issuer: String = "ringgate"

        @Option(name: .customLong("max-ttl"), help: "The maximum TTL (like 1h), without --config; longer TTLs are refused.")
        var maxTTL: String = "1h"

        @Option(name: .long, help: "The identity the token names (its sub claim).")
        var identity: String

        @Option(name: .long, parsing: .singleValue, help: "A group (repeatable, or comma-separated).")
        var groups: [String] = []

        @Option(name: .long, help: "How long the token is valid (like 90s, 15m, 1h).")
        var ttl: String

        @Option(name: .long, parsing: .singleValue, help: "A resource the token may reach (repeatable, or comma-separated).")
        var resources: [String]

        func validate() throws {
            guard (config == nil) != (key == nil) else { throw ValidationError("give exactly one of --config and --key") }
        }

        /// Key path, issuer and maximum TTL, from the configuration file or the flags.
        func settings() throws -> (key: String, issuer: String, maxSeconds: Int) {
            if let config {
                let loaded: GatewayConfiguration
                do {
                    loaded = try ConfigLoader.load(path: config)
                } catch {
                    throw TokenCommandError(error.diagnostics.map(\.description).joined(separator: "\n"))
                }
                guard let tokens = loaded.gatewayTokens else {
                    throw TokenCommandError("\(config) has no gateway_tokens section")
                }
                return (tokens.signingKeyFile, tokens.issuer, tokens.maxTTLSeconds)
            }
            do {
                return (key ?? "", issuer, try DurationParser.seconds(maxTTL))
            } catch {
                throw TokenCommandError(error.message)
            }
        }

        func run() async throws {
            let ttlSeconds: Int
            do {
                ttlSeconds = try DurationParser.seconds(ttl)
            } catch {
                throw TokenCommandError(error.message)
            }
            let (keyPath, issuerName, maxSeconds) = try settings()
            let signingKey: GatewaySigningKey
            do {
                signingKey = try GatewaySigningKey.load(path: keyPath)
            } catch {
                throw TokenCommandError(error.message)
            }
            let issuer = GatewayTokenIssuer(signingKey: signingKey, issuer: issuerName, maxTTLSeconds: maxSeconds)
            do {
                let issued = try await issuer.issue(
                    identity: identity, groups: splitList(groups), resources: splitList(resources),
                    ttlSeconds: ttlSeconds)
                print(issued.token)
            } catch {
                throw TokenCommandError(error.description)
            }
        }
    }

    /// `ringgate token revoke --file FILE (--jti ID | ID)`
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append a token id to the revocation file (read again on configuration reload).",
            discussion: """
                Older token ids can start with '-': give them as --jti=ID, --jti ID, or after \
                '--' (ringgate token revoke --file FILE -- -AbC...).
                """)

        @Option(name: .long, help: "The revocation file (gateway_tokens.revocation_file).")
        var file: String

        // `.unconditional`: the next argument is the id even when it starts with '-'.
        @Option(name: .long, parsing: .unconditional, help: "The token id (jti) to revoke.")
        var jti: String?

        @Argument(help: "The token id (jti) to revoke, instead of --jti.")
        var id: String?

        func validate() throws {
            guard (jti == nil) != (id == nil) else { throw ValidationError("give the token id once: --jti ID or ID") }
        }

        func run() throws {
            let tokenID = jti ?? id ?? ""
            do {
                try RevocationList.append(tokenID, toFile: file)
            } catch {
                throw TokenCommandError(error.message)
            }
            print("revoked \(tokenID)")
        }
    }
}

/// A token command failure: printed as `Error: ...` (no usage text), exit status 1.
struct TokenCommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
