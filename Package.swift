// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "prezero",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "prezero", targets: ["prezero"]),
        .executable(name: "prezero-trace-dat", targets: ["prezero-trace-dat"]),
        .executable(name: "prezero-perf-data", targets: ["prezero-perf-data"]),
        .library(name: "PrezeroTrace", targets: ["PrezeroTrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // libzstd from the system (Debian: libzstd-dev). One Swift file imports it: ZstdStream.swift.
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        // libtracecmd + libtraceevent (Debian: libtracecmd-dev, libtraceevent-dev, libtracefs-dev):
        // trace-cmd's trace.dat files, read as `trace-cmd report` reads them, in a helper process
        // (prezero-trace-dat) because the library can crash on a damaged file.
        .systemLibrary(
            name: "CTraceCmd",
            pkgConfig: "libtracecmd",
            providers: [.apt(["libtracecmd-dev", "libtraceevent-dev", "libtracefs-dev"])]
        ),
        // The frames a binary-trace helper writes and prezero reads (one header for both sides).
        .target(name: "CTraceStream"),
        // A record as frames, shared by the helpers: page and fault events from their numbers.
        .target(name: "CTraceRender", dependencies: ["CTraceCmd", "CTraceStream"], cSettings: [.unsafeFlags(["-O2"])]),
        .executableTarget(name: "prezero-trace-dat", dependencies: ["CTraceCmd", "CTraceRender"]),
        // perf.data: read by this helper (header, attributes, tracing data, records) and
        // rendered with libtraceevent as perf script prints it.
        // libzstd for perf record -z's compressed records.
        .executableTarget(name: "prezero-perf-data", dependencies: ["CTraceCmd", "CTraceRender", "CZstd"], linkerSettings: [.linkedLibrary("zstd")]),
        // bytes -> TraceEvent: decompression, line splitting, format detection, parsers, statistics.
        .target(
            name: "PrezeroTrace",
            dependencies: ["CZstd", "CTraceStream", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: [.define("PREZERO_INTERNAL_CHECKS", .when(configuration: .debug))]
        ),
        // The cache model's sets in C (SSE2/NEON way search, AVX-512 where the CPU has it).
        // Always optimized: at -O0 the debug build's replays, and so the tests, crawl.
        .target(name: "CSetScan", cSettings: [.unsafeFlags(["-O2"])]),
        // Machine profiles, buddy allocator with zero state, zero drivers, cache model.
        .target(
            name: "PrezeroModel",
            dependencies: ["CSetScan", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: [
                .define("PREZERO_INTERNAL_CHECKS", .when(configuration: .debug)),
            ]
        ),
        // `prezero calibrate`: timing loops in C (rep stosb, non-temporal stores, rdtscp per
        // fault), and the measurements turned into a machine profile.
        .target(name: "CCalibrate"),
        .target(name: "PrezeroCalibrate", dependencies: ["CCalibrate", "PrezeroModel"]),
        // Replay engine, policies, metrics.
        .target(
            name: "PrezeroReplay",
            dependencies: ["PrezeroTrace", "PrezeroModel", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: [.define("PREZERO_INTERNAL_CHECKS", .when(configuration: .debug))]
        ),
        // Text, JSON, CSV and markdown renderings of typed results (stat reports, replay results).
        .target(name: "PrezeroReport", dependencies: ["PrezeroTrace", "PrezeroModel", "PrezeroReplay"]),
        // The CLI: one file per subcommand, thin.
        .executableTarget(
            name: "prezero",
            dependencies: [
                "PrezeroTrace", "PrezeroReport", "PrezeroModel", "PrezeroReplay", "PrezeroCalibrate", "prezero-trace-dat", "prezero-perf-data",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Release builds link the Swift runtime and Foundation in, not load them (as `swift
            // build --static-swift-stdlib`): a run starts in less memory, with no symbol lookups
            // across libraries (prezero --version 21 -> 15 MB peak RSS, tools/bench-policies.sh).
            // Not debug builds: the test bundles, which link this module, have no static XCTest.
            // Linux only: Apple's toolchains refuse -static-stdlib.
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]
        ),
        // Test helpers: one scratch directory per test process, removed at exit.
        .target(name: "PrezeroTestSupport", path: "Tests/PrezeroTestSupport"),
        .testTarget(name: "PrezeroTraceTests", dependencies: ["PrezeroTrace", "CTraceStream", "PrezeroTestSupport", "prezero-trace-dat", "prezero-perf-data"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PrezeroReportTests", dependencies: ["PrezeroReport", "PrezeroTrace", "PrezeroModel", "PrezeroReplay", "PrezeroTestSupport"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "PrezeroModelTests", dependencies: ["PrezeroModel", "CSetScan", "PrezeroTestSupport"]),
        .testTarget(name: "PrezeroCalibrateTests", dependencies: ["PrezeroCalibrate", "PrezeroModel", "PrezeroTestSupport"]),
        .testTarget(name: "PrezeroReplayTests", dependencies: ["PrezeroReplay", "PrezeroModel", "PrezeroTrace", "PrezeroTestSupport"]),
        // Runs the built `prezero` binary: exit codes, messages, JSON keys.
        .testTarget(name: "PrezeroCLITests", dependencies: ["prezero", "PrezeroTestSupport"], resources: [.copy("Fixtures")]),
    ]
)
