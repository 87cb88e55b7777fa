/* stream-rate: how good and how frequent a video stream's frames are, steered by its clients' STREAM_REPORTs. */
#include "stream-rate.h"

void stream_rate_init(StreamRate *rate)
{
    *rate = (StreamRate){ .quality = STREAM_RATE_MAX_QUALITY,
                          .frame_ms = STREAM_RATE_MIN_FRAME_MS };
}

static void step_down(StreamRate *rate)
{
    int quality = rate->quality - 10;
    uint32_t frame_ms = rate->frame_ms + rate->frame_ms / 4;
    rate->quality = quality < STREAM_RATE_MIN_QUALITY ? STREAM_RATE_MIN_QUALITY : quality;
    rate->frame_ms = frame_ms > STREAM_RATE_MAX_FRAME_MS ? STREAM_RATE_MAX_FRAME_MS : frame_ms;
}

/* Frame rate first (what a viewer notices most), then quality. */
static bool step_up(StreamRate *rate)
{
    if (rate->frame_ms > STREAM_RATE_MIN_FRAME_MS) {
        uint32_t frame_ms = rate->frame_ms * 4 / 5;
        rate->frame_ms = frame_ms < STREAM_RATE_MIN_FRAME_MS ? STREAM_RATE_MIN_FRAME_MS : frame_ms;
        return true;
    }
    if (rate->quality < STREAM_RATE_MAX_QUALITY) {
        int quality = rate->quality + 5;
        rate->quality = quality > STREAM_RATE_MAX_QUALITY ? STREAM_RATE_MAX_QUALITY : quality;
        return true;
    }
    return false;
}

bool stream_rate_report(StreamRate *rate, uint32_t num_frames, uint32_t num_drops,
                        int32_t last_frame_delay_ms)
{
    bool dropping = num_frames > 0 && (uint64_t)num_drops * 10 > num_frames;
    if (dropping || last_frame_delay_ms < 0) {
        rate->clean_reports = 0;
        int quality = rate->quality;
        uint32_t frame_ms = rate->frame_ms;
        step_down(rate);
        return quality != rate->quality || frame_ms != rate->frame_ms;
    }
    if (++rate->clean_reports < STREAM_RATE_CLEAN_TO_RAISE) {
        return false;
    }
    rate->clean_reports = 0;
    return step_up(rate);
}
