// swift-tools-version: 6.1
import PackageDescription

/// Settings every RingGate target shares: Swift 6 language mode, and the
/// experimental lifetime features that `Span`-returning APIs need.
let commonSwiftSettings: [SwiftSetting] = [
    .enableExperimentalFeature("Lifetimes"),
]

/// Hot-path modules drop exclusivity checks in release builds (`swift_beginAccess` calls
/// showed up in hot loops otherwise).
let hotPathSwiftSettings: [SwiftSetting] = commonSwiftSettings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "RingGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringgate", targets: ["ringgate"]),
        .executable(name: "bench", targets: ["bench"]),
        .library(name: "IOCore", targets: ["IOCore"]),
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        // Hummingbird's own lifecycle: the control API shuts down gracefully.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(
            name: "CLibURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        /// OpenSSL 3 (libssl/libcrypto) for TLS over memory BIOs: the loops keep all socket I/O.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        /// OpenSSL's memory functions with a per-thread small-block cache (no malloc per TLS record).
        .target(name: "COpenSSLMemory", dependencies: ["COpenSSL"]),
        /// Test-only malloc interposer with a thread-local counter (allocation tests).
        .target(name: "CAllocCounter"),
        /// libpg_query (PostgreSQL's parser as a C library): a test-only oracle for the SQL classifier.
        .systemLibrary(
            name: "CPgQuery",
            providers: [.apt(["libpg-query-dev"])]
        ),

        // MARK: Libraries
        .target(
            name: "IOCore",
            dependencies: ["CLibURing", "COpenSSL", "COpenSSLMemory"],
            swiftSettings: hotPathSwiftSettings
        ),
        .target(
            name: "Codecs",
            swiftSettings: hotPathSwiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "IOCore",
                "Codecs",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Ed25519 PEM (gateway token signing keys); jwt-kit already builds it.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                // The control API (its own listener, off the data path) and its metrics.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The control store's engines: SQLite (embedded) and PostgreSQL (shared by replicas).
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: hotPathSwiftSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "ringgate",
            dependencies: [
                "Gateway",
                "IOCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: commonSwiftSettings
        ),
        .executableTarget(
            name: "bench",
            dependencies: [
                "IOCore",
                // `bench policy`: decisions per statement on the synthetic rule sets.
                "Gateway",
                "CLibURing",
                // The `bench tcp --tls` client (TLS 1.3 over the non-blocking sockets), with
                // OpenSSL's per-record blocks from the small-block cache (no malloc per record).
                "COpenSSL", "COpenSSLMemory",
                // Counts the bench's own heap allocations to prove its measured loop makes none.
                "CAllocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: commonSwiftSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "IOCoreTests",
            dependencies: ["IOCore", "CAllocCounter", "COpenSSL", "COpenSSLMemory"],
            swiftSettings: commonSwiftSettings
        ),
        .testTarget(
            name: "CodecsTests",
            dependencies: ["Codecs", "CAllocCounter"],
            swiftSettings: commonSwiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Codecs", "IOCore", "CAllocCounter",
                // Identity tests mint their own keys and tokens at test time.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: commonSwiftSettings
        ),
        /// Tests against real Debian servers started on loopback (PostgreSQL 15) and real oracles.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Codecs", "CPgQuery", "Gateway", "IOCore",
                .product(name: "Logging", package: "swift-log"),
                // The PostgreSQL wire tests log in with Gateway's swift-crypto SCRAM primitives.
            ],
            swiftSettings: commonSwiftSettings
        ),
    ]
)
