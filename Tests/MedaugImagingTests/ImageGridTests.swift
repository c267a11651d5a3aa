import MedaugTestSupport
import XCTest
@testable import MedaugImaging

/// The annotation readers' grid (`ImageGrid`): contour filling against a
/// per-voxel reference, and hostile coordinates (NaN, infinities, values
/// beyond Int) refused by name instead of trapping in a conversion to Int.
final class ImageGridTests: XCTestCase {
    private func grid(x: Int, y: Int, z: Int) throws -> ImageGrid {
        let volume = try NIfTIVolume(dimensions: .init(x: x, y: y, z: z),
                                     values: [Float](repeating: 0, count: x * y * z),
                                     voxelSize: SIMD3(1, 1, 1), affine: .scaling(SIMD3(1, 1, 1)))
        return try ImageGrid(volume, path: "rt.dcm")
    }

    /// The even-odd rule voxel by voxel: a voxel centre is inside a polygon
    /// when an odd number of its edges cross the centre's row at or left of
    /// it (edges half-open in y), and inside the slice when inside an odd
    /// number of polygons.
    private func reference(_ polygons: [[SIMD2<Double>]], width: Int, height: Int) -> [Bool] {
        var inside = [Bool](repeating: false, count: width * height)
        for polygon in polygons {
            for row in 0..<height {
                let y = Double(row)
                for column in 0..<width {
                    var count = 0
                    for i in polygon.indices {
                        let a = polygon[i], b = polygon[(i + 1) % polygon.count]
                        guard (a.y <= y) != (b.y <= y) else { continue }
                        if a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x) <= Double(column) { count += 1 }
                    }
                    if count % 2 == 1 { inside[row * width + column].toggle() }
                }
            }
        }
        return inside
    }

    private func filled(_ grid: ImageGrid, _ polygons: [[SIMD2<Double>]], key: SliceKey) throws -> Set<Int> {
        var set = Set<Int>()
        try grid.fillEvenOdd(polygons, on: key) { set.insert($0) }
        return set
    }

    /// Random polygons (some vertices on rows, some beyond the slice), with
    /// a hole cut by a second polygon, on an axial slice of odd size.
    func testFillMatchesThePerVoxelEvenOddRule() throws {
        let (width, height) = (23, 17)
        let g = try grid(x: width, y: height, z: 3)
        var random = TestRandom(seed: 0x5EED)
        // Uniform in low..<high.
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * Double(random.uniform()) }
        for trial in 0..<40 {
            var polygons: [[SIMD2<Double>]] = []
            for _ in 0..<(1 + trial % 3) {
                let count = 3 + Int(random.next() % 7)
                polygons.append((0..<count).map { _ in
                    let onRow = random.next() % 2 == 0
                    let y = onRow ? Double(Int(random.next() % UInt64(height + 5)) - 2) : uniform(-3, Double(height + 3))
                    return SIMD2(uniform(-4, Double(width + 4)), y)
                })
            }
            let expected = reference(polygons, width: width, height: height)
            let got = try filled(g, polygons, key: SliceKey(axis: 2, index: 1))
            let want = Set(expected.indices.filter { expected[$0] }.map { $0 + width * height })
            XCTAssertEqual(got, want, "trial \(trial)")
        }
    }

    /// Slices across the other axes put (u, v) on the right voxel axes.
    func testFillOnSagittalAndCoronalSlices() throws {
        let g = try grid(x: 4, y: 5, z: 6)
        let square: [SIMD2<Double>] = [SIMD2(0.5, 0.5), SIMD2(2.5, 0.5), SIMD2(2.5, 3.5), SIMD2(0.5, 3.5)]
        // Sagittal (axis 0): u = y, v = z; voxels y 1...2, z 1...3 at x = 2.
        let sagittal = try filled(g, [square], key: SliceKey(axis: 0, index: 2))
        XCTAssertEqual(sagittal, Set((1...3).flatMap { z in (1...2).map { y in 2 + 4 * (y + 5 * z) } }))
        // Coronal (axis 1): u = x, v = z.
        let coronal = try filled(g, [square], key: SliceKey(axis: 1, index: 4))
        XCTAssertEqual(coronal, Set((1...3).flatMap { z in (1...2).map { x in x + 4 * (4 + 5 * z) } }))
    }

    /// A contour reaching far beyond the slice (but within `farOff`) fills
    /// the part inside it.
    func testFarButFiniteContoursFillTheirPartInside() throws {
        let g = try grid(x: 6, y: 4, z: 1)
        let wide: [SIMD2<Double>] = [SIMD2(-1e9, -0.5), SIMD2(2.5, -0.5), SIMD2(2.5, 1e9), SIMD2(-1e9, 1e9)]
        let set = try filled(g, [wide], key: SliceKey(axis: 2, index: 0))
        XCTAssertEqual(set, Set((0..<4).flatMap { y in (0...2).map { x in x + 6 * y } }))
    }

    /// NaN, infinite and beyond-Int coordinates are named errors.
    func testPointsFarOffTheGridAreRefused() throws {
        let g = try grid(x: 6, y: 4, z: 3)
        let near = SIMD3<Double>(1, 1, 1)
        for bad in [SIMD3(1e20, 1, 1), SIMD3(1, -1e300, 1), SIMD3(1, 1, .infinity), SIMD3(.nan, 1, 1)] {
            XCTAssertThrowsError(try g.slicePolygon([near, bad, near], what: "contour 1")) { error in
                guard case ImagingError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("far off the image series' grid"), message)
            }
        }
    }

    /// Millions of edges zig-zagging over every row stop at the crossing
    /// budget instead of running for minutes.
    func testCrossingBudgetStopsZigZags() throws {
        let height = 4096
        let g = try grid(x: 2, y: height, z: 1)
        let edges = ImageGrid.maxCrossings / height + 2
        let zigzag = (0..<edges).map { SIMD2(Double($0 % 2), $0 % 2 == 0 ? -1 : Double(height)) }
        XCTAssertThrowsError(try filled(g, [zigzag], key: SliceKey(axis: 2, index: 0))) { error in
            guard case ImagingError.tooLarge(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("cross its rows more than"), reason)
        }
    }

    /// Frame placement: a hostile origin, spacing or orientation is a
    /// mismatch, never a trap.
    func testPlacementRefusesNonFiniteAndHugeGeometry() throws {
        let g = try grid(x: 8, y: 8, z: 4)
        let axial = [1.0, 0, 0, 0, 1, 0]
        // Voxel (0, 0, 1) of the identity RAS grid is LPS (0, 0, 1); LPS −x is voxel +x.
        XCTAssertNoThrow(try g.place(origin: [0, 0, 1], orientation: [-1, 0, 0, 0, -1, 0], spacing: [1, 1],
                                     rows: 8, columns: 8, what: "frame 1"))
        let cases: [([Double], [Double], [Double])] = [
            ([1e300, 0, 0], axial, [1, 1]), ([.nan, 0, 0], axial, [1, 1]), ([0, 0, 0], axial, [1e300, 1e300]),
            ([0, 0, 0], [.nan, 0, 0, 0, 1, 0], [1, 1]), ([0, 0, 0], axial, [.infinity, 1]),
            ([-1e19, 0, 0], [-1, 0, 0, 0, -1, 0], [1, 1]),
        ]
        for (origin, orientation, spacing) in cases {
            XCTAssertThrowsError(try g.place(origin: origin, orientation: orientation, spacing: spacing,
                                             rows: 2, columns: 2, what: "frame 1")) { error in
                guard case ImagingError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("does not lie on the image series' grid"), message)
            }
        }
    }
}

