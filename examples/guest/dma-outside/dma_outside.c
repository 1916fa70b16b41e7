// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The isolation check of the VFIO_PLATFORM guide's Test Case 2, from inside the guest: a memcpy through dmaengine
 * (the first channel that offers one) from a coherent buffer to `target`, a bus address outside the guest's RAM.
 * Behind the hypervisor's SMMU stage 2 the transfer must fault rather than reach host memory; the module reports
 * what the channel said, and the DMA driver its own view of the fault.
 *
 *   insmod dma_outside.ko target=0xa0000000
 */
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/jiffies.h>
#include <linux/module.h>

static unsigned long target = 0xa0000000;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "bus address the copy writes to (outside the guest's RAM)");

#define COPY_BYTES 64

static void copy_done(void *completion)
{
	complete(completion);
}

static const char *status_name(enum dma_status status)
{
	switch (status) {
	case DMA_COMPLETE: return "complete";
	case DMA_IN_PROGRESS: return "in progress";
	case DMA_PAUSED: return "paused";
	default: return "error";
	}
}

static int __init dma_outside_init(void)
{
	DECLARE_COMPLETION_ONSTACK(completion);
	struct dma_async_tx_descriptor *tx;
	struct dma_tx_state state;
	enum dma_status status;
	dma_cap_mask_t mask;
	struct dma_chan *chan;
	dma_cookie_t cookie;
	dma_addr_t source;
	bool finished;
	void *buffer;
	int ret = 0;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, NULL, NULL);
	if (!chan) {
		pr_err("dma_outside: no memcpy channel\n");
		return -ENODEV;
	}
	buffer = dma_alloc_coherent(chan->device->dev, PAGE_SIZE, &source, GFP_KERNEL);
	if (!buffer) {
		ret = -ENOMEM;
		goto release;
	}
	memset(buffer, 0xa5, PAGE_SIZE);
	tx = dmaengine_prep_dma_memcpy(chan, (dma_addr_t)target, source, COPY_BYTES, DMA_PREP_INTERRUPT);
	if (!tx) {
		pr_err("dma_outside: %s: cannot prepare the copy\n", dma_chan_name(chan));
		ret = -EIO;
		goto free;
	}
	tx->callback = copy_done;
	tx->callback_param = &completion;
	cookie = dmaengine_submit(tx);
	dma_async_issue_pending(chan);
	finished = wait_for_completion_timeout(&completion, msecs_to_jiffies(1000)) != 0;
	status = dmaengine_tx_status(chan, cookie, &state);
	pr_info("dma_outside: %s: copy of %d bytes from %pad to 0x%lx: %s, channel status %s\n", dma_chan_name(chan),
		COPY_BYTES, &source, target, finished ? "callback ran" : "no callback within 1 s", status_name(status));
	dmaengine_terminate_sync(chan);
free:
	dma_free_coherent(chan->device->dev, PAGE_SIZE, buffer, source);
release:
	dma_release_channel(chan);
	return ret;
}

static void __exit dma_outside_exit(void)
{
}

module_init(dma_outside_init);
module_exit(dma_outside_exit);
MODULE_DESCRIPTION("A dmaengine copy outside the guest's RAM (dmalab's Test Case 2 isolation check)");
MODULE_LICENSE("Dual MIT/GPL");
