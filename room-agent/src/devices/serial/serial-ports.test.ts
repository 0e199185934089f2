// The port list as the integrator reads it: the stable /dev/serial/by-id name first (what the profile wants), with
// what tells adapters apart; ports without one after, said so. Ports as serialport lists them from udev's database.
import { describe, expect, it } from "vitest";
import { describeSerialPorts } from "./serial-ports.ts";

describe("describeSerialPorts", () => {
  it("names USB adapters by their by-id path, and built-in ports as having no stable name", () => {
    const text = describeSerialPorts([
      { path: "/dev/ttyS0" },
      {
        path: "/dev/ttyUSB0",
        pnpId: "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0",
        manufacturer: "FTDI",
        serialNumber: "A50285BI",
        vendorId: "0403",
        productId: "6001",
      },
      {
        path: "/dev/ttyACM0",
        pnpId: "usb-Arduino__www.arduino.cc__0043_75833353035351E0D1A1-if00",
        manufacturer: "Arduino (www.arduino.cc)",
        serialNumber: "75833353035351E0D1A1",
        vendorId: "2341",
        productId: "0043",
      },
    ]);
    expect(text).toBe(
      [
        "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0",
        "  FTDI · S/N A50285BI · USB 0403:6001 · now /dev/ttyUSB0",
        "/dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_75833353035351E0D1A1-if00",
        "  Arduino (www.arduino.cc) · S/N 75833353035351E0D1A1 · USB 2341:0043 · now /dev/ttyACM0",
        "/dev/ttyS0",
        "  không có tên cố định / no stable name (built in?)",
        "",
      ].join("\n"),
    );
  });

  it("says when there is no port at all", () => {
    expect(describeSerialPorts([])).toBe("Không có cổng nối tiếp nào / no serial port found\n");
  });
});
