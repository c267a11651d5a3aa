import Foundation
import XCTest
@testable import MedaugImaging

final class DatasetManifestTests: XCTestCase {
    func folder(with json: String) throws -> String {
        let dir = NSTemporaryDirectory() + "medaug-manifest-\(getpid())-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try json.write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        return dir
    }

    let good = """
    {"format": "medaug-dataset", "version": 1, "classes": ["background", "lesion"], "label_values": [0, 4],
     "channels": ["T1"], "spacing_mm": [1, 1.5],
     "intensity": {"stored": "uint16", "stored_range": [0, 65535], "network_range": [-1, 1]},
     "items": [{"id": "s1", "image": "images/s1.tif", "mask": "masks/s1.tif", "split": "train",
                "synthetic": false, "source": {"file": "t1.nii.gz", "slice": 42, "plane": "coronal"}}]}
    """

    func testReadsAndRoundTrips() throws {
        let manifest = try DatasetManifest.read(folder: try folder(with: good))
        XCTAssertEqual(manifest.labelValues, [0, 4])
        XCTAssertEqual(manifest.items[0].source["slice"], .number(42))
        let data = try JSONEncoder().encode(manifest)
        XCTAssertEqual(try JSONDecoder().decode(DatasetManifest.self, from: data), manifest)
        XCTAssertEqual(manifest.intensity.toNetwork(0), -1)
        XCTAssertEqual(manifest.intensity.toNetwork(65535), 1)
        XCTAssertEqual(manifest.intensity.toStored(0), 32767.5, accuracy: 1e-9)
    }

    func testHostileManifestsAreRefusedWithTheReason() throws {
        func message(_ json: String) throws -> String {
            do { _ = try DatasetManifest.read(folder: try folder(with: json)); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(try message("{").contains("not valid JSON"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: "medaug-dataset", with: "coco")).contains("format"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: "[0, 4]", with: "[0, 0]")).contains("distinct"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: "images/s1.tif", with: "../../etc/passwd")).contains("inside the folder"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: #""id": "s1""#, with: #""id": "a/b""#)).contains("item id"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: #""split": "train""#, with: #""split": "holdout""#)).contains("split"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: "[1, 1.5]", with: "[1, -1]")).contains("spacing_mm"))
        XCTAssertTrue(try message(good.replacingOccurrences(of: #""uint16""#, with: #""int8""#)).contains("uint16 or float32"))
        XCTAssertThrowsError(try DatasetManifest.read(folder: "/nonexistent-folder"))
    }
}
