// swift-tools-version: 6.1
import PackageDescription

// In-process A/B of the SQL classifier of two checkouts (see ../sql-ab.sh, which points the
// two slot folders at them and builds this package twice, once per slot order).
// With SQL_AB_ALIGN=1 every function starts on a 64-byte boundary: where a function lands in
// the binary (which differs between the slots) then no longer moves its loops' alignment.
let alignment = Context.environment["SQL_AB_ALIGN"] == "1" ? ["-Xllvm", "-align-all-functions=6"] : []
let settings: [SwiftSetting] = [
    .enableExperimentalFeature("Lifetimes"),
    .unsafeFlags(["-enforce-exclusivity=unchecked"] + alignment),
]

let package = Package(
    name: "sql-ab",
    targets: [
        // Sources/SlotA and Sources/SlotB are links to two checkouts' Sources/Codecs, made by
        // ../sql-ab.sh (ignored by git).
        .target(name: "SlotA", swiftSettings: settings),
        .target(name: "SlotB", swiftSettings: settings),
        // The benchmark's texts (a link to Benchmarks/Sources/BenchmarkSupport/SQLQueries.swift).
        .target(name: "SQLTexts"),
        .executableTarget(name: "sql-ab", dependencies: ["SlotA", "SlotB", "SQLTexts"], swiftSettings: settings),
    ]
)
