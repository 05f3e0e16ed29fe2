#!/usr/bin/env node
import { main } from '../cli/run';

main('pcp_health_check_stats');
