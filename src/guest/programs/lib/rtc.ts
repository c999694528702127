/**
 * The RTC character-device ABI as programs see it (hwclock): the ioctl numbers and struct
 * rtc_time codec live in src/abi/linux-rtc.ts, shared with the kernel's rtc-cmos driver.
 */
export {
  RTC_RD_TIME,
  RTC_SET_TIME,
  RTC_UIE_ON,
  RTC_UIE_OFF,
  RTC_AIE_ON,
  RTC_AIE_OFF,
  RTC_ALM_READ,
  RTC_ALM_SET,
  RTC_TIME_SIZE,
  RTC_READ_SIZE,
  encodeRtcTime,
  decodeRtcTime,
  rtcTimeFromEpoch,
  epochFromRtcTime,
  isValidRtcTime,
  type RtcTime,
} from '../../../abi/linux-rtc.js';
